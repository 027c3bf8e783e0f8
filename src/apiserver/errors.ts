// Every error the API server answers with is a `kind: Status` built here, with upstream's code, reason, message
// wording and details (kubectl prints these messages verbatim, so they must read as a real cluster's do).

import type { Status } from "../api/types.ts";
import { completeResponse } from "./node-adapter.ts";

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** Thrown anywhere in request handling; the app turns it into the HTTP answer. */
export class StatusError extends Error {
  constructor(readonly status: Status & { code: number }) {
    super(status.message);
    this.name = "StatusError";
  }
  get code(): number {
    return this.status.code;
  }
}

/** Names the collection in messages the way upstream does: "pods", "deployments.apps". */
export interface GroupResource {
  group: string;
  resource: string;
}

export const qualifiedResource = (gr: GroupResource) => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);

function status(code: number, reason: string, message: string, details?: Status["details"]): StatusError {
  const s: Status & { code: number } = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details) s.details = details;
  return new StatusError(s);
}

function objectDetails(gr: GroupResource, name?: string): Status["details"] {
  const d: Status["details"] = { kind: gr.resource };
  if (name !== undefined) d.name = name;
  if (gr.group) d.group = gr.group;
  return d;
}

export const notFound = (gr: GroupResource, name: string) =>
  status(404, "NotFound", `${qualifiedResource(gr)} "${name}" not found`, objectDetails(gr, name));

export const alreadyExists = (gr: GroupResource, name: string) =>
  status(409, "AlreadyExists", `${qualifiedResource(gr)} "${name}" already exists`, objectDetails(gr, name));

export const conflict = (gr: GroupResource, name: string, why: string) =>
  status(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
    objectDetails(gr, name),
  );

export const STALE_OBJECT =
  "the object has been modified; please apply your changes to the latest version and try again";

/** 422 with one cause per field error; message as upstream: `Kind "name" is invalid: field: detail`. */
export function invalid(group: string, kind: string, name: string, causes: StatusCause[]): StatusError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  const details: Status["details"] = { name, kind, causes };
  if (group) details.group = group;
  return status(422, "Invalid", `${kind} "${name}" is invalid: ${summary}`, details);
}

export const badRequest = (message: string) => status(400, "BadRequest", message);

export const unauthorized = () => status(401, "Unauthorized", "Unauthorized");

export interface ForbiddenRequest {
  user: string;
  verb: string;
  resource?: string;
  subresource?: string;
  group?: string;
  name?: string;
  namespace?: string;
  path?: string;
}

/** `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"`. */
export function forbidden(req: ForbiddenRequest, reason = ""): StatusError {
  const suffix = reason ? `: ${reason}` : "";
  if (!req.resource) {
    return status(403, "Forbidden", `forbidden: User "${req.user}" cannot ${req.verb} path "${req.path}"${suffix}`, {});
  }
  const gr = { group: req.group ?? "", resource: req.resource };
  const full = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
  const scope = req.namespace ? ` in the namespace "${req.namespace}"` : " at the cluster scope";
  const subject = req.name ? `${qualifiedResource(gr)} "${req.name}"` : qualifiedResource(gr);
  const message = `${subject} is forbidden: User "${req.user}" cannot ${req.verb} resource "${full}" in API group "${gr.group}"${scope}${suffix}`;
  return status(403, "Forbidden", message, objectDetails(gr, req.name));
}

/** An admission plugin's refusal: `<resource> "<name>" is forbidden: <why>`, as upstream words it. */
export const admissionForbidden = (gr: GroupResource, name: string, why: string) =>
  status(403, "Forbidden", `${qualifiedResource(gr)} "${name}" is forbidden: ${why}`, objectDetails(gr, name));

export const methodNotSupported = (gr: GroupResource, verb: string) =>
  status(
    405,
    "MethodNotAllowed",
    `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`,
    objectDetails(gr),
  );

/** The watch/list revision was compacted away: clients relist. */
export const gone = (message: string) => status(410, "Expired", message);

/** A read at a resourceVersion the store has not reached yet, as upstream answers it. */
export const tooLargeResourceVersion = (requested: number, current: number) =>
  status(504, "Timeout", `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
    retryAfterSeconds: 1,
  });

export const tooLarge = (limit: number) =>
  status(413, "RequestEntityTooLarge", `Request entity too large: limit is ${limit}`);

export const unsupportedMediaType = (contentType: string) =>
  status(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got "${contentType}")`,
  );

export const notAcceptable = (message: string) => status(406, "NotAcceptable", message);

export const tooManyRequests = (message: string, retryAfterSeconds?: number) =>
  status(429, "TooManyRequests", message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });

export const internalError = (err: unknown) =>
  status(500, "InternalError", `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);

export const serviceUnavailable = (message: string) => status(503, "ServiceUnavailable", message);

export const pathNotFound = () => status(404, "NotFound", "the server could not find the requested resource", {});

/** The HTTP answer for an error: its Status as JSON. Anything not a StatusError is an internal error. */
export function toStatusError(err: unknown): StatusError {
  return err instanceof StatusError ? err : internalError(err);
}

export function statusResponse(err: StatusError): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  // Upstream sends details.retryAfterSeconds as Retry-After too (clients back off by the header).
  const retryAfter = err.status.details?.retryAfterSeconds;
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  return completeResponse(JSON.stringify(err.status), { status: err.code, headers });
}

/** A success Status (e.g. the answer to deletecollection or to deleting an object that is gone at once). */
export function successStatus(details?: Status["details"]): Status {
  const s: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" };
  if (details) s.details = details;
  return s;
}
