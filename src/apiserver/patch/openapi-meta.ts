// Adapts the openapi module's per-kind patch metadata (src/apiserver/openapi/patch-meta.ts) to PatchMeta, and
// adds what server-side apply needs beyond strategic merge: which structs and maps are atomic.

import { builtinDefinitions, definitionNameFor, resolveRef, type Schema } from "../openapi/definitions.ts";
import { type GroupVersionKind, patchMetaFor } from "../openapi/patch-meta.ts";
import type { PatchMeta } from "./meta.ts";

/**
 * Upstream's `+structType=atomic` types among the built-in ones: owned and replaced as a whole by server-side
 * apply (so a Deployment's selector is `f:selector: {}` in managedFields).
 */
const atomicDefinitions = new Set(
  [
    "apimachinery.pkg.apis.meta.v1.LabelSelector",
    "apimachinery.pkg.apis.meta.v1.OwnerReference",
    "api.core.v1.ObjectReference",
    "api.core.v1.LocalObjectReference",
    "api.core.v1.TypedLocalObjectReference",
    "api.core.v1.SecretReference",
    "api.core.v1.SecretKeySelector",
    "api.core.v1.ConfigMapKeySelector",
    "api.core.v1.ObjectFieldSelector",
    "api.core.v1.ResourceFieldSelector",
    "api.core.v1.NodeSelector",
    "api.core.v1.NodeSelectorTerm",
    "api.core.v1.TopologySelectorTerm",
  ].map((n) => `io.k8s.${n}`),
);

/** Upstream's `+mapType=atomic` maps: "<definition>.<field>". */
const atomicMaps = new Set(["io.k8s.api.core.v1.PodSpec.nodeSelector"]);

/** PatchMeta of a built-in kind; for kinds the schemas do not know every answer is empty (replace/atomic). */
export function patchMetaForKind(gvk: GroupVersionKind): PatchMeta {
  const atomic = new Map<string, boolean>();
  return {
    strategyFor(path) {
      const meta = patchMetaFor(gvk, path);
      return meta ? { strategy: meta.strategy, mergeKey: meta.mergeKey } : {};
    },
    isAtomic(path) {
      // Most fields can never be atomic: a set lookup answers them without building a key.
      if (!atomicCandidates().has(path[path.length - 1])) return false;
      const key = path.join(".");
      let a = atomic.get(key);
      if (a === undefined) {
        a = atomicAt(gvk, path);
        atomic.set(key, a);
      }
      return a;
    },
  };
}

let candidates: Set<string> | undefined;

/** Names of the fields that hold an atomic type somewhere in the built-in schemas. */
function atomicCandidates(): Set<string> {
  if (candidates) return candidates;
  candidates = new Set([...atomicMaps].map((m) => m.slice(m.lastIndexOf(".") + 1)));
  for (const def of Object.values(builtinDefinitions))
    for (const [field, schema] of Object.entries(def.properties ?? {})) {
      const ref = (schema.items ?? schema).$ref;
      if (ref && atomicDefinitions.has(ref.slice(ref.lastIndexOf("/") + 1))) candidates.add(field);
    }
  return candidates;
}

/** Whether the value at `path` (the elements, when it names a list) is atomic. */
function atomicAt(gvk: GroupVersionKind, path: readonly string[]): boolean {
  let name = definitionNameFor(gvk);
  let schema: Schema | undefined = name ? builtinDefinitions[name] : undefined;
  for (let i = 0; i < path.length && schema; i++) {
    const field: Schema | undefined = schema.properties?.[path[i]];
    if (!field) return false;
    if (i === path.length - 1 && name && atomicMaps.has(`${name}.${path[i]}`)) return true;
    // Step through refs and list items to the definition holding the next field.
    let next: Schema | undefined = field;
    while (next?.type === "array" && next.items) next = next.items;
    name = next?.$ref?.slice(next.$ref.lastIndexOf("/") + 1);
    schema = resolveRef(next);
  }
  return name !== undefined && atomicDefinitions.has(name);
}
