// Merging an applied configuration into the live object as server-side apply does (structured merge): maps
// merge field by field, keyed lists item by item, sets value by value, atomic lists and scalars replace. And
// removing the fields an applier dropped.

import { cloneJson, isObject, type JsonObject } from "./json.ts";
import { itemElement, listElements } from "./listing.ts";
import { listTypeOf, type PatchMeta } from "./meta.ts";

/** Merges `config` into `live` (owned by the caller, mutated); returns the result. */
export function mergeApplied(live: JsonObject, config: JsonObject, meta: PatchMeta): JsonObject {
  return mergeValue(live, config, [], meta) as JsonObject;
}

function mergeValue(live: unknown, config: unknown, names: string[], meta: PatchMeta): unknown {
  if (isObject(config) && !(names.length > 0 && meta.isAtomic?.(names))) {
    const out = isObject(live) ? live : {};
    for (const [k, v] of Object.entries(config)) out[k] = mergeValue(out[k], v, [...names, k], meta);
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live)) return mergeList(live, config, names, meta);
  return cloneJson(config);
}

/**
 * Items the configuration names come in its order; live-only items keep their place (upstream's
 * mergingWalker.visitListItems).
 */
function mergeList(live: unknown[], config: unknown[], names: string[], meta: PatchMeta): unknown[] {
  const lt = listTypeOf(meta.strategyFor(names));
  const le = listElements(live, lt);
  const ce = listElements(config, lt);
  if (!le || !ce) return cloneJson(config);
  const liveBy = new Map(le.map((e, i) => [e, live[i]]));
  const inConfig = new Set(ce);
  const seen = new Set<string>();
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < le.length || j < ce.length) {
    if (i < le.length && seen.has(le[i])) {
      i++;
    } else if (i < le.length && !inConfig.has(le[i])) {
      out.push(live[i]);
      seen.add(le[i++]);
    } else if (j < ce.length) {
      const e = ce[j];
      out.push(lt.type === "map" ? mergeValue(liveBy.get(e), config[j], names, meta) : cloneJson(config[j]));
      seen.add(e);
      j++;
    } else i++;
  }
  return out;
}

/**
 * Removes the value at a FieldsV1 path (its whole subtree); a path that is not there is a no-op. Maps and
 * lists the removal leaves empty go too, as upstream's pruning drops them.
 */
export function removePath(obj: JsonObject, path: readonly string[], meta: PatchMeta): void {
  removeIn(obj, path, [], meta);
}

/** Removes `path` below `parent`; returns whether `parent` is now an empty container. */
function removeIn(parent: unknown, path: readonly string[], names: string[], meta: PatchMeta): boolean {
  const [e, ...rest] = path;
  if (e.startsWith("f:")) {
    if (!isObject(parent)) return false;
    const k = e.slice(2);
    if (!(k in parent)) return false;
    if (rest.length === 0 || removeIn(parent[k], rest, [...names, k], meta)) delete parent[k];
    return Object.keys(parent).length === 0;
  }
  if (!Array.isArray(parent)) return false;
  const lt = listTypeOf(meta.strategyFor(names));
  const at = e.startsWith("i:")
    ? Number(e.slice(2))
    : parent.findIndex((item) => (itemElement(item, lt) ?? `v:${JSON.stringify(item)}`) === e);
  if (at < 0 || at >= parent.length) return false;
  if (rest.length === 0 || removeIn(parent[at], rest, names, meta)) parent.splice(at, 1);
  return parent.length === 0;
}
