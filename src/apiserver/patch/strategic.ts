// Strategic merge patch (application/strategic-merge-patch+json) as upstream's apimachinery strategicpatch
// applies it on the server: maps merge recursively and null deletes; lists follow the field's patch strategy
// (merged by merge key, union of primitives, or replaced); directives `$patch: replace|delete|merge`,
// `$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`. Works on one copy of the
// live object, mutated in place; values taken from the patch are rebuilt so no directive or null leaks in.

import type { KubeObject } from "../../api/types.ts";
import { badPatch } from "./errors.ts";
import { cloneJson, isObject, type JsonObject, jsonEqual } from "./json.ts";
import { mergesList, noPatchMeta, type PatchMeta } from "./meta.ts";
import { checkSetElementOrder, type IdentityKey, mergeSortedSlice, positions, sortByOrder } from "./strategic-order.ts";

const patchDirective = "$patch";
const retainKeysDirective = "$retainKeys";
const setElementOrderPrefix = "$setElementOrder/";
const deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

export function applyStrategicPatch(current: KubeObject, patch: unknown, meta: PatchMeta = noPatchMeta): KubeObject {
  if (!isObject(patch)) throw badPatch("strategic merge patch must be a JSON object");
  return new StrategicMerge(meta).mergeMap(cloneJson(current), patch, []);
}

class StrategicMerge {
  constructor(private readonly meta: PatchMeta) {}

  /** Merges `patch` into `original` (owned, mutated); returns the result, which may be a new map. */
  mergeMap(original: JsonObject, patch: JsonObject, path: string[]): JsonObject {
    const directive = patch[patchDirective];
    if (directive === "replace") return this.fresh(withoutKey(patch, patchDirective), path) as JsonObject;
    if (directive === "delete") return {};
    if (directive !== undefined && directive !== "merge")
      throw badPatch(`Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);

    if (retainKeysDirective in patch) {
      const keep = patch[retainKeysDirective];
      if (!Array.isArray(keep) || keep.some((k) => typeof k !== "string"))
        throw badPatch(`invalid patch: ${retainKeysDirective} must be a list of strings: ${JSON.stringify(keep)}`);
      for (const [k, v] of Object.entries(patch))
        if (v !== null && !isDirective(k) && !keep.includes(k))
          throw badPatch(`invalid patch: field ${k} is missing from ${retainKeysDirective} ${JSON.stringify(keep)}`);
      for (const k of Object.keys(original)) if (!keep.includes(k)) delete original[k];
    }

    const orders = new Map<string, unknown[]>();
    for (const [k, v] of Object.entries(patch)) {
      if (k.startsWith(deleteFromPrimitiveListPrefix)) {
        const field = k.slice(deleteFromPrimitiveListPrefix.length);
        if (!Array.isArray(v)) throw badPatch(`invalid patch: ${k} must be a list: ${JSON.stringify(v)}`);
        const list = original[field];
        if (Array.isArray(list)) original[field] = list.filter((x) => !v.some((d) => jsonEqual(d, x)));
      } else if (k.startsWith(setElementOrderPrefix)) {
        if (!Array.isArray(v)) throw badPatch(`invalid patch: ${k} must be a list: ${JSON.stringify(v)}`);
        orders.set(k.slice(setElementOrderPrefix.length), v);
      }
    }

    for (const [k, v] of Object.entries(patch)) {
      if (isDirective(k)) continue;
      if (v === null) {
        delete original[k];
        continue;
      }
      original[k] = this.mergeValue(original[k], v, [...path, k], orders.get(k));
    }
    // A $setElementOrder without the list in the patch still reorders the live list.
    for (const [k, order] of orders) {
      if (k in patch || !Array.isArray(original[k])) continue;
      original[k] = this.mergeList(original[k] as unknown[], [], [...path, k], order);
    }
    return original;
  }

  private mergeValue(original: unknown, patch: unknown, path: string[], order?: unknown[]): unknown {
    if (isObject(patch)) return this.mergeMap(isObject(original) ? original : {}, patch, path);
    if (Array.isArray(patch)) return this.mergeList(Array.isArray(original) ? original : [], patch, path, order);
    return patch;
  }

  /** A value from the patch rebuilt as if merged into nothing: directives applied, nulls dropped. */
  private fresh(patch: unknown, path: string[]): unknown {
    return this.mergeValue(undefined, patch, path);
  }

  private mergeList(original: unknown[], patch: unknown[], path: string[], order?: unknown[]): unknown[] {
    const strategy = this.meta.strategyFor(path);
    if (!mergesList(strategy)) return patch.map((item) => this.fresh(item, path));
    const kind = elementKind(original, patch, path);
    if (order && kind !== "none") checkSetElementOrder(patch, order, kind === "map" ? strategy.mergeKey : undefined);
    if (kind === "list") throw badPatch(`lists of lists are not supported (field ${path.join(".")})`);
    if (kind === "scalar") return this.mergePrimitiveList(original, patch, order);
    if (!strategy.mergeKey) throw badPatch(`cannot merge lists without merge key for ${path.join(".")}`);
    return this.mergeMapList(original, patch, path, strategy.mergeKey, order);
  }

  /** Primitive lists with the merge strategy are unions: live values first, new ones in patch order. */
  private mergePrimitiveList(original: unknown[], patch: unknown[], order?: unknown[]): unknown[] {
    const merged: unknown[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => jsonEqual(m, v))) merged.push(v);
    return reorder(merged, original, order ?? patch, (v: unknown) => JSON.stringify(v));
  }

  private mergeMapList(
    original: unknown[],
    patch: unknown[],
    path: string[],
    mergeKey: string,
    order?: unknown[],
  ): unknown[] {
    const keyOf = (item: unknown) => JSON.stringify(isObject(item) ? item[mergeKey] : undefined) ?? "";
    const items: JsonObject[] = [];
    const deleted: unknown[] = [];
    for (const item of patch) {
      if (!isObject(item))
        throw badPatch(`cannot merge list ${path.join(".")}: element ${JSON.stringify(item)} is not a map`);
      const directive = item[patchDirective];
      if (directive === "replace") {
        // `{$patch: replace}` as an element replaces the whole live list with the patch's other elements.
        return patch.filter((x) => x !== item).map((x) => this.fresh(x, path));
      }
      if (directive !== undefined && directive !== "delete" && directive !== "merge")
        throw badPatch(`Unknown patch type: ${String(directive)} in list element: ${JSON.stringify(item)}`);
      if (!(mergeKey in item))
        throw badPatch(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
      if (directive === "delete") deleted.push(item[mergeKey]);
      else items.push(item);
    }
    const gone = new Set(deleted.map((d) => JSON.stringify(d)));
    const live = gone.size ? original.filter((o) => !gone.has(keyOf(o))) : original;
    const merged = [...live];
    const at = new Map<string, number>();
    merged.forEach((o, i) => {
      if (!at.has(keyOf(o))) at.set(keyOf(o), i);
    });
    for (const item of items) {
      const k = keyOf(item);
      const i = at.get(k);
      if (i !== undefined) merged[i] = this.mergeMap(merged[i] as JsonObject, item, path);
      else {
        at.set(k, merged.length);
        merged.push(this.fresh(item, path));
      }
    }
    return reorder(merged, live, order ?? items, keyOf);
  }
}

/**
 * Upstream's element order: items the patch (or its $setElementOrder) names come in that order, live-only
 * items keep their place relative to them as far as the live order allows.
 */
function reorder(merged: unknown[], live: unknown[], patchOrder: unknown[], key: IdentityKey): unknown[] {
  const inPatch = positions(patchOrder, key);
  const patchItems = sortByOrder(
    merged.filter((x) => inPatch.has(key(x))),
    inPatch,
    key,
  );
  const serverOrder = positions(live, key);
  const serverOnly = sortByOrder(
    merged.filter((x) => !inPatch.has(key(x))),
    serverOrder,
    key,
  );
  return mergeSortedSlice(serverOnly, patchItems, serverOrder, key);
}

function isDirective(k: string): boolean {
  return (
    k === patchDirective ||
    k === retainKeysDirective ||
    k.startsWith(setElementOrderPrefix) ||
    k.startsWith(deleteFromPrimitiveListPrefix)
  );
}

function withoutKey(m: JsonObject, key: string): JsonObject {
  const { [key]: _, ...rest } = m;
  return rest;
}

function elementKind(original: unknown[], patch: unknown[], path: string[]): "map" | "list" | "scalar" | "none" {
  const kinds = new Set(
    [...original, ...patch].map((x) => (Array.isArray(x) ? "list" : isObject(x) ? "map" : "scalar")),
  );
  if (kinds.size > 1) throw badPatch(`cannot merge list ${path.join(".")}: elements are of different types`);
  return (kinds.values().next().value as "map" | "list" | "scalar" | undefined) ?? "none";
}
