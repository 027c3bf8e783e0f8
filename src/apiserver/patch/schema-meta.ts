// PatchMeta from an OpenAPI v3 schema (a CRD's openAPIV3Schema): server-side apply reads the list types
// custom resources declare (`x-kubernetes-list-type: map|set|atomic`, `x-kubernetes-list-map-keys`).
// Strategic merge patch does not apply to custom resources (upstream answers 415), so no merge keys beyond these.

import { isObject, type JsonObject } from "./json.ts";
import type { FieldStrategy, PatchMeta } from "./meta.ts";

export function patchMetaFromSchema(schema: unknown): PatchMeta {
  const cache = new Map<string, FieldStrategy>();
  return {
    strategyFor(path) {
      const key = path.join(".");
      let s = cache.get(key);
      if (!s) {
        s = strategyAt(schema, path);
        cache.set(key, s);
      }
      return s;
    },
  };
}

function strategyAt(schema: unknown, path: readonly string[]): FieldStrategy {
  let node = schema;
  for (const name of path) {
    node = elementOf(node);
    if (!isObject(node)) return {};
    const props = node.properties;
    node = isObject(props) && name in props ? props[name] : node.additionalProperties;
  }
  if (!isObject(node) || node.type !== "array") return {};
  const listType = node["x-kubernetes-list-type"];
  if (listType === "set") return { strategy: "merge" };
  const keys = node["x-kubernetes-list-map-keys"];
  if (listType === "map" && Array.isArray(keys) && keys.length > 0)
    return {
      strategy: "merge",
      mergeKey: String(keys[0]),
      listMapKeys: keys.map(String),
    };
  return {};
}

/** Steps through array items, as paths name fields only. */
function elementOf(node: unknown): unknown {
  let n = node;
  while (isObject(n) && n.type === "array" && isObject(n.items)) n = (n as JsonObject).items;
  return n;
}
