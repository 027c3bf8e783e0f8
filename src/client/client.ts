// KubeClient over any Transport: builds REST requests, turns non-2xx answers into ApiError (with the API's
// Status), and streams watches. The same code runs in-process (Hono app) and over HTTPS.

import type { KubeList, KubeObject, Status } from "../api/types.ts";
import { queryString, resourcePath } from "./paths.ts";
import {
  ApiError,
  type DeleteOptions,
  type KubeClient,
  type ListQuery,
  type PatchType,
  type ResourceRef,
  type Transport,
  type WatchEvent,
  type WatchHandle,
  type WatchQuery,
  type WriteOptions,
} from "./types.ts";
import { readWatchStream } from "./watch-stream.ts";

/** Requests carry this origin; transports replace it with the real server (or ignore it in-process). */
export const CLIENT_ORIGIN = "http://kubernetes.invalid";

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

export interface ClientOptions {
  userAgent?: string;
  /** Field manager used for server-side apply when the caller names none (apply requires one). */
  defaultFieldManager?: string;
}

export function createClient(transport: Transport, options: ClientOptions = {}): KubeClient {
  const userAgent = options.userAgent ?? "k3lite";
  const defaultFieldManager = options.defaultFieldManager ?? "k3lite";

  async function request(
    method: string,
    path: string,
    init: {
      body?: BodyInit;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": userAgent,
      ...init.headers,
    };
    return transport(
      new Request(CLIENT_ORIGIN + path, {
        method,
        headers,
        body: init.body,
        signal: init.signal,
      }),
    );
  }

  async function call<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
    const init =
      body === undefined
        ? {}
        : {
            body: JSON.stringify(body),
            headers: { "content-type": contentType },
          };
    const res = await request(method, path, init);
    if (!res.ok) throw await apiErrorFrom(res, method, path);
    return (await res.json()) as T;
  }

  return {
    get: (ref, name, subresource) => call("GET", resourcePath(ref, name, subresource)),
    list: <T extends KubeObject>(ref: ResourceRef, query?: ListQuery) =>
      call<KubeList<T>>("GET", resourcePath(ref) + queryString(query)),
    create: (ref, obj, opts, subresource) => {
      // Subresource creates (pods/binding, pods/eviction) are addressed at the parent object's name.
      const path = subresource ? resourcePath(ref, obj.metadata?.name ?? "", subresource) : resourcePath(ref);
      return call("POST", path + writeQuery(opts), obj);
    },
    update: (ref, obj, opts, subresource) =>
      call("PUT", resourcePath(ref, nameOf(obj, ref), subresource) + writeQuery(opts), obj),
    patch: (ref, name, patch, type, opts, subresource) => {
      const writeOpts = type === "apply" ? { fieldManager: defaultFieldManager, ...opts } : opts;
      return call(
        "PATCH",
        resourcePath(ref, name, subresource) + writeQuery(writeOpts),
        patch,
        PATCH_CONTENT_TYPES[type],
      );
    },
    delete: (ref, name, opts) => call("DELETE", resourcePath(ref, name), opts && deleteBody(opts)),
    watch: <T extends KubeObject>(ref: ResourceRef, query: WatchQuery, onEvent: (ev: WatchEvent<T>) => void) =>
      startWatch(request, resourcePath(ref) + queryString(query, true), onEvent),
    request: (method, path, init) => request(method, path, init),
  };
}

type RequestFn = (
  method: string,
  path: string,
  init?: { signal?: AbortSignal; headers?: Record<string, string> },
) => Promise<Response>;

function startWatch<T>(request: RequestFn, path: string, onEvent: (ev: WatchEvent<T>) => void): WatchHandle {
  const abort = new AbortController();
  const done = (async () => {
    let res: Response;
    try {
      res = await request("GET", path, { signal: abort.signal });
    } catch (err) {
      if (!abort.signal.aborted) onEvent({ type: "ERROR", object: transportStatus(err) as T });
      return;
    }
    if (!res.ok) {
      const error = await apiErrorFrom(res, "GET", path);
      if (!abort.signal.aborted) onEvent({ type: "ERROR", object: error.status as T });
      return;
    }
    if (!res.body) return;
    try {
      await readWatchStream(res.body, onEvent, abort.signal);
    } catch (err) {
      if (!abort.signal.aborted) onEvent({ type: "ERROR", object: transportStatus(err) as T });
    }
  })();
  return { done, stop: () => abort.abort() };
}

function nameOf(obj: KubeObject, ref: ResourceRef): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`cannot update ${ref.resource}: metadata.name is empty`);
  return name;
}

function writeQuery(opts: WriteOptions | undefined): string {
  if (!opts) return "";
  const params = new URLSearchParams();
  if (opts.fieldManager) params.set("fieldManager", opts.fieldManager);
  if (opts.dryRun) params.set("dryRun", "All");
  if (opts.force) params.set("force", "true");
  const text = params.toString();
  return text ? `?${text}` : "";
}

function deleteBody(opts: DeleteOptions): Record<string, unknown> {
  const { dryRun, ...rest } = opts;
  return {
    kind: "DeleteOptions",
    apiVersion: "v1",
    ...rest,
    ...(dryRun ? { dryRun: ["All"] } : {}),
  };
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** The API's Status from an error answer; a synthesised one when the body is not a Status. */
export async function apiErrorFrom(res: Response, method: string, path: string): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed && parsed.kind === "Status") return new ApiError(res.status, parsed);
  } catch {
    // not JSON: fall through
  }
  const status: Status = {
    apiVersion: "v1",
    kind: "Status",
    status: "Failure",
    code: res.status,
    reason: REASONS[res.status] ?? "Unknown",
    message: `${method} ${path}: HTTP ${res.status}${text ? `: ${text.slice(0, 500)}` : ""}`,
  };
  return new ApiError(res.status, status);
}

function transportStatus(err: unknown): Status {
  return {
    apiVersion: "v1",
    kind: "Status",
    status: "Failure",
    code: 503,
    reason: "ServiceUnavailable",
    message: `watch failed: ${err instanceof Error ? err.message : String(err)}`,
  };
}

/** True when `err` is an ApiError with one of the given HTTP codes. */
export function isApiError(err: unknown, ...codes: number[]): err is ApiError {
  return err instanceof ApiError && (codes.length === 0 || codes.includes(err.code));
}
export const isNotFound = (err: unknown) => isApiError(err, 404);
export const isConflict = (err: unknown) => isApiError(err, 409);
export const isAlreadyExists = (err: unknown) => isApiError(err, 409) && (err as ApiError).reason === "AlreadyExists";
