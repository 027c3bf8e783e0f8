// Parses a request path into upstream's RequestInfo (verb, group, version, namespace, resource, name,
// subresource): routing and authorization both read it, so both agree on what a request touches.

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection; lower-case HTTP method otherwise. */
  verb: string;
  apiPrefix?: "api" | "apis";
  group: string;
  version: string;
  namespace?: string;
  resource?: string;
  name?: string;
  subresource?: string;
}

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function requestInfo(method: string, path: string, watchParam: string | null): RequestInfo {
  const lower = method.toLowerCase();
  const plain: RequestInfo = { isResourceRequest: false, path, verb: lower, group: "", version: "" };
  const parts = path
    .split("/")
    .filter((p) => p !== "")
    .map(decode);
  let rest: string[];
  const info: RequestInfo = { ...plain };
  if (parts[0] === "api" && parts.length >= 2) {
    info.apiPrefix = "api";
    info.version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    info.apiPrefix = "apis";
    info.group = parts[1];
    info.version = parts[2];
    rest = parts.slice(3);
  } else {
    return plain;
  }
  if (rest.length === 0) return { ...plain, apiPrefix: info.apiPrefix, group: info.group, version: info.version };
  info.isResourceRequest = true;

  // Legacy /watch/ prefix paths.
  let legacyWatch = false;
  if (rest[0] === "watch") {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === "namespaces" && rest.length > 1) {
    info.namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  info.resource = rest[0];
  if (rest.length > 1) info.name = rest[1];
  if (rest.length > 2) info.subresource = rest[2];

  const watch = legacyWatch || watchParam === "true" || watchParam === "1";
  switch (lower) {
    case "get":
    case "head":
      info.verb = watch ? "watch" : info.name ? "get" : "list";
      break;
    case "post":
      info.verb = "create";
      break;
    case "put":
      info.verb = "update";
      break;
    case "patch":
      info.verb = "patch";
      break;
    case "delete":
      info.verb = info.name ? "delete" : "deletecollection";
      break;
    default:
      info.verb = lower;
  }
  return info;
}
