// REST paths and query strings of the Kubernetes API, built from a ResourceRef. Shared by the client and by
// anything that needs a URL for an object (e.g. selfLink-like messages).

import type { ListQuery, ResourceRef, WatchQuery } from "./types.ts";

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(group: string, version: string): string {
  return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** `/api/v1/namespaces/<ns>/<resource>[/<name>[/<subresource>]]` (no namespace segment when cluster-scoped). */
export function resourcePath(ref: ResourceRef, name?: string, subresource?: string): string {
  let path = groupVersionPath(ref.group, ref.version);
  if (ref.namespace) path += `/namespaces/${encodeURIComponent(ref.namespace)}`;
  path += `/${ref.resource}`;
  if (name !== undefined) {
    if (name === "") throw new Error(`resource name may not be empty (${ref.resource})`);
    path += `/${encodeURIComponent(name)}`;
    if (subresource) path += `/${subresource}`;
  }
  return path;
}

/** Query string (with its leading "?", or "") for list and watch parameters. */
export function queryString(query: (ListQuery & Partial<WatchQuery>) | undefined, watch = false): string {
  const params = new URLSearchParams();
  if (watch) params.set("watch", "true");
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === "") continue;
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}
