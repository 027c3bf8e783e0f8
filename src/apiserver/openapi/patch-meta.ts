// Strategic-merge-patch metadata of built-in kinds: for a kind and a field path, upstream's patch strategy
// and list merge key (from the generated schemas). Used by the patch helper (src/apiserver/patch/).
//
//   patchMetaFor({ group: "apps", version: "v1", kind: "Deployment" }, ["spec", "template", "spec", "containers"])
//     → { strategy: "merge", mergeKey: "name" }
//
// Paths name fields only: list elements are stepped into implicitly (so "containers", "env" follow each other).

import {
  builtinDefinitions,
  definitionNameFor,
  type GroupVersionKind,
  resolveRef,
  type Schema,
} from "./definitions.ts";

export type { GroupVersionKind };

export interface PatchMeta {
  /** "merge", "retainKeys", "merge,retainKeys"; undefined means replace (lists) or recursive merge (maps). */
  strategy?: string;
  /** The field identifying list elements, for lists merged by key. */
  mergeKey?: string;
  /** What the schema says the field is: "array", "object", "string"…, undefined when unknown. */
  type?: string;
}

const cache = new Map<string, PatchMeta | undefined>();

/** Patch metadata of the field at `path` in `gvk`; undefined when the kind or field is not known (e.g. CRDs). */
export function patchMetaFor(gvk: GroupVersionKind, path: readonly string[] | string): PatchMeta | undefined {
  const fields = typeof path === "string" ? path.split(".").filter(Boolean) : path;
  const key = `${gvk.group}/${gvk.version}/${gvk.kind}:${fields.join(".")}`;
  if (cache.has(key)) return cache.get(key);
  const meta = lookup(gvk, fields);
  cache.set(key, meta);
  return meta;
}

function lookup(gvk: GroupVersionKind, fields: readonly string[]): PatchMeta | undefined {
  const name = definitionNameFor(gvk);
  if (!name || fields.length === 0) return undefined;
  let schema: Schema | undefined = builtinDefinitions[name];
  let field: Schema | undefined;
  for (const f of fields) {
    schema = elementOf(schema);
    field = schema?.properties?.[f] ?? additional(schema);
    if (!field) return undefined;
    schema = field;
  }
  if (!field) return undefined;
  const target = resolveRef(field);
  return {
    strategy: field["x-kubernetes-patch-strategy"] as string | undefined,
    mergeKey: field["x-kubernetes-patch-merge-key"] as string | undefined,
    type: target?.type,
  };
}

/** Steps through refs and array items to the object whose properties the next field names. */
function elementOf(schema: Schema | undefined): Schema | undefined {
  let s = resolveRef(schema);
  while (s?.type === "array" && s.items) s = resolveRef(s.items);
  return s;
}

function additional(schema: Schema | undefined): Schema | undefined {
  const extra = schema?.additionalProperties;
  return typeof extra === "object" ? extra : undefined;
}
