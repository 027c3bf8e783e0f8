// The list ordering rules of upstream's strategic merge patch (normalizeElementOrder / mergeSortedSlice), so a
// merged list comes out in the order kubectl and kube-apiserver produce.

import { badPatch } from "./errors.ts";
import { isObject, jsonEqual } from "./json.ts";

/** An item's identity as a string (its merge key value, or the primitive itself), for map lookups. */
export type IdentityKey = (item: unknown) => string;

/** Position of each identity in `order` (first occurrence). */
export function positions(order: unknown[], key: IdentityKey): Map<string, number> {
  const pos = new Map<string, number>();
  order.forEach((item, i) => {
    const k = key(item);
    if (!pos.has(k)) pos.set(k, i);
  });
  return pos;
}

/** Stable sort of `items` by their position in an order; items it does not name go last. */
export function sortByOrder(items: unknown[], order: Map<string, number>, key: IdentityKey): unknown[] {
  return items
    .map((item, i) => ({
      item,
      i,
      p: order.get(key(item)) ?? Number.MAX_SAFE_INTEGER,
    }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((x) => x.item);
}

/**
 * Interleaves two sorted, disjoint lists: each `left` item goes before the first `right` item that comes
 * after it in the server's order; when either is missing from that order, `right` goes first.
 */
export function mergeSortedSlice(
  left: unknown[],
  right: unknown[],
  serverOrder: Map<string, number>,
  key: IdentityKey,
): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = serverOrder.get(key(left[i]));
      const ri = serverOrder.get(key(right[j]));
      if (li !== undefined && ri !== undefined && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/**
 * The patch list's elements (deletions aside) must appear in `$setElementOrder` in the same relative order;
 * upstream rejects a patch where they do not.
 */
export function checkSetElementOrder(patch: unknown[], order: unknown[], mergeKey?: string): void {
  const id = (x: unknown) => (mergeKey && isObject(x) ? x[mergeKey] : x);
  const items = patch.filter((x) => !(isObject(x) && "$patch" in x));
  let i = 0;
  for (const o of order) if (i < items.length && jsonEqual(id(items[i]), id(o))) i++;
  if (i < items.length)
    throw badPatch(
      `The order in patch list:\n${JSON.stringify(patch)}\n doesn't match $setElementOrder list:\n${JSON.stringify(order)}`,
    );
}
