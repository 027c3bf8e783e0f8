// The `paths` section of the OpenAPI documents: one entry per collection, object and subresource served, with
// the operation extensions kubectl reads (x-kubernetes-action, x-kubernetes-group-version-kind) and the query
// parameters it probes for (a PATCH with `fieldValidation` tells kubectl the server validates fields itself).

import type { GroupVersionKind } from "./definitions.ts";

/** A resource as the API server serves it; what the OpenAPI paths are built from. */
export interface ServedResource {
  group: string;
  version: string;
  kind: string;
  /** The plural, e.g. "deployments". */
  resource: string;
  namespaced: boolean;
  /** Discovery verbs: get, list, watch, create, update, patch, delete, deletecollection. */
  verbs: string[];
  /** "status", "scale" (the only subresources with object bodies that kubectl edits). */
  subresources?: string[];
  /** The list kind; default `${kind}List`. */
  listKind?: string;
}

export type OpenApiVersion = "v2" | "v3";
type Operation = Record<string, unknown>;

/** Maps a kind to the schema of its definition: `{$ref}` (v2 and v3 differ in where definitions live). */
export type RefFor = (gvk: GroupVersionKind) => Record<string, unknown>;

const scaleGvk: GroupVersionKind = {
  group: "autoscaling",
  version: "v1",
  kind: "Scale",
};
const statusGvk: GroupVersionKind = {
  group: "",
  version: "v1",
  kind: "Status",
};
const deleteOptionsGvk: GroupVersionKind = {
  group: "",
  version: "v1",
  kind: "DeleteOptions",
};
const patchMediaTypes = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
];

const paramDocs: Record<string, string> = {
  name: "name of the resource",
  namespace: "object name and auth scope, such as for teams and projects",
  pretty: "If 'true', then the output is pretty printed.",
  dryRun:
    "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
  fieldManager:
    "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.",
  fieldValidation:
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Strict - Warn",
  force:
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  labelSelector: "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
  fieldSelector: "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
  limit: "limit is a maximum number of responses to return for a list call.",
  continue: "The continue option should be set when retrieving more results from the server.",
  resourceVersion: "resourceVersion sets a constraint on what resource versions a request may be served from.",
  resourceVersionMatch: "resourceVersionMatch determines how resourceVersion is applied to list calls.",
  watch:
    "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.",
  allowWatchBookmarks: 'allowWatchBookmarks requests watch events with type "BOOKMARK".',
  sendInitialEvents: "`sendInitialEvents=true` may be set together with `watch=true`.",
  timeoutSeconds: "Timeout for the list/watch call.",
  gracePeriodSeconds: "The duration in seconds before the object should be deleted.",
  propagationPolicy: "Whether and how garbage collection will be performed.",
};
const paramTypes: Record<string, string> = {
  limit: "integer",
  timeoutSeconds: "integer",
  gracePeriodSeconds: "integer",
  watch: "boolean",
  allowWatchBookmarks: "boolean",
  sendInitialEvents: "boolean",
  force: "boolean",
};

function param(v: OpenApiVersion, name: string, location: "path" | "query" = "query"): Record<string, unknown> {
  const type = paramTypes[name] ?? "string";
  const base = {
    name,
    in: location,
    description: paramDocs[name],
    uniqueItems: true,
  };
  const p = v === "v2" ? { ...base, type } : { ...base, schema: { type } };
  return location === "path" ? { ...p, required: true } : p;
}

const writeParams = ["dryRun", "fieldManager", "fieldValidation"];
const listParams = [
  "allowWatchBookmarks",
  "continue",
  "fieldSelector",
  "labelSelector",
  "limit",
  "resourceVersion",
  "resourceVersionMatch",
  "sendInitialEvents",
  "timeoutSeconds",
  "watch",
];

/** camelCase pieces of upstream's operation ids: "" → Core, "rbac.authorization.k8s.io" → RbacAuthorization. */
function groupWord(group: string): string {
  if (!group) return "Core";
  return group
    .replace(/\.k8s\.io$/, "")
    .split(/[.-]/)
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join("");
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The body (in v2 a `body` parameter, in v3 a requestBody) and the responses of an operation. */
function withBodies(
  v: OpenApiVersion,
  op: Operation,
  body: Record<string, unknown> | undefined,
  response: Record<string, unknown>,
  consumes: string[] = ["*/*"],
  codes: string[] = ["200"],
): Operation {
  const produces = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
  const responses: Record<string, unknown> = {};
  for (const code of codes) {
    responses[code] =
      v === "v2"
        ? { description: "OK", schema: response }
        : {
            description: "OK",
            content: Object.fromEntries(produces.map((t) => [t, { schema: response }])),
          };
  }
  responses["401"] = { description: "Unauthorized" };
  if (v === "v2") {
    const parameters = [...((op.parameters as unknown[]) ?? [])];
    if (body)
      parameters.unshift({
        name: "body",
        in: "body",
        required: true,
        schema: body,
      });
    return {
      ...op,
      consumes,
      produces,
      schemes: ["https"],
      parameters,
      responses,
    };
  }
  const requestBody = body
    ? {
        requestBody: {
          content: Object.fromEntries(consumes.map((t) => [t, { schema: body }])),
          required: true,
        },
      }
    : {};
  return { ...op, ...requestBody, responses };
}

/** Path entries for one resource (collection, object, and its status/scale subresources). */
export function resourcePaths(v: OpenApiVersion, r: ServedResource, refFor: RefFor): Record<string, unknown> {
  const gvk: GroupVersionKind = {
    group: r.group,
    version: r.version,
    kind: r.kind,
  };
  const listGvk = { ...gvk, kind: r.listKind ?? `${r.kind}List` };
  const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const scope = r.namespaced ? "/namespaces/{namespace}" : "";
  const collection = `${prefix}${scope}/${r.resource}`;
  const id = (verb: string, suffix = "") =>
    `${verb}${groupWord(r.group)}${cap(r.version)}${r.namespaced ? "Namespaced" : ""}${r.kind}${suffix}`;
  const op = (verb: string, action: string, params: string[], opGvk = gvk, suffix = ""): Operation => ({
    description: `${action} ${r.kind}${suffix ? ` ${suffix.toLowerCase()}` : ""}`,
    operationId: id(verb, suffix),
    tags: [`${groupWord(r.group).toLowerCase()}_${r.version}`],
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": opGvk,
    parameters: params.map((p) => param(v, p)),
  });
  const pathParams = (withName: boolean) => [
    ...(withName ? [param(v, "name", "path")] : []),
    ...(r.namespaced ? [param(v, "namespace", "path")] : []),
    param(v, "pretty"),
  ];
  const has = (verb: string) => r.verbs.includes(verb);
  const out: Record<string, unknown> = {};

  const coll: Record<string, unknown> = { parameters: pathParams(false) };
  if (has("list")) coll.get = withBodies(v, op("list", "list", listParams), undefined, refFor(listGvk));
  if (has("create"))
    coll.post = withBodies(
      v,
      op("create", "post", writeParams),
      refFor(gvk),
      refFor(gvk),
      ["*/*"],
      ["200", "201", "202"],
    );
  if (has("deletecollection"))
    coll.delete = withBodies(
      v,
      op("deleteCollection", "deletecollection", ["dryRun", "gracePeriodSeconds", "propagationPolicy", ...listParams]),
      refFor(deleteOptionsGvk),
      refFor(statusGvk),
    );
  if (Object.keys(coll).length > 1) out[collection] = coll;

  const itemOps = (path: string, suffix: string, bodyGvk: GroupVersionKind, verbs: string[]) => {
    const item: Record<string, unknown> = { parameters: pathParams(true) };
    const can = (verb: string) => verbs.includes(verb);
    if (can("get")) item.get = withBodies(v, op("read", "get", [], bodyGvk, suffix), undefined, refFor(bodyGvk));
    if (can("update"))
      item.put = withBodies(
        v,
        op("replace", "put", writeParams, bodyGvk, suffix),
        refFor(bodyGvk),
        refFor(bodyGvk),
        ["*/*"],
        ["200", "201"],
      );
    if (can("patch"))
      item.patch = withBodies(
        v,
        op("patch", "patch", [...writeParams, "force"], bodyGvk, suffix),
        refFor({ group: "", version: "v1", kind: "Patch" }),
        refFor(bodyGvk),
        patchMediaTypes,
        ["200", "201"],
      );
    if (can("delete"))
      item.delete = withBodies(
        v,
        op("delete", "delete", ["dryRun", "gracePeriodSeconds", "propagationPolicy"], bodyGvk, suffix),
        refFor(deleteOptionsGvk),
        refFor(statusGvk),
        ["*/*"],
        ["200", "202"],
      );
    if (Object.keys(item).length > 1) out[path] = item;
  };
  itemOps(`${collection}/{name}`, "", gvk, r.verbs);
  for (const sub of r.subresources ?? []) {
    if (sub === "status") itemOps(`${collection}/{name}/status`, "Status", gvk, ["get", "update", "patch"]);
    if (sub === "scale") itemOps(`${collection}/{name}/scale`, "Scale", scaleGvk, ["get", "update", "patch"]);
  }
  return out;
}
