// The list ordering rules of upstream's strategic merge patch (normalizeElementOrder / mergeSortedSlice), so a
// merged list comes out in the order kubectl and kube-apiserver produce.

import { badPatch } from "./errors.ts";
import { isObject, jsonEqual } from "./json.ts";

type Identity = (item: unknown) => unknown;

function indexIn(order: unknown[], id: unknown): number {
	return order.findIndex((o) => jsonEqual(o, id));
}

/** Stable sort of `items` by the position of their identity in `order`; unknown items go last. */
export function sortByOrder(
	items: unknown[],
	order: unknown[],
	identity: Identity,
): unknown[] {
	const pos = (x: unknown) => {
		const i = indexIn(order, identity(x));
		return i < 0 ? Number.MAX_SAFE_INTEGER : i;
	};
	return items
		.map((item, i) => ({ item, i, p: pos(item) }))
		.sort((a, b) => a.p - b.p || a.i - b.i)
		.map((x) => x.item);
}

/**
 * Interleaves two sorted, disjoint lists: each `left` item goes before the first `right` item that comes
 * after it in `serverOrder`; when either is missing from `serverOrder`, `right` goes first.
 */
export function mergeSortedSlice(
	left: unknown[],
	right: unknown[],
	serverOrder: unknown[],
	identity: Identity,
): unknown[] {
	const out: unknown[] = [];
	let i = 0;
	let j = 0;
	while (i < left.length || j < right.length) {
		if (i >= left.length) out.push(right[j++]);
		else if (j >= right.length) out.push(left[i++]);
		else {
			const li = indexIn(serverOrder, identity(left[i]));
			const ri = indexIn(serverOrder, identity(right[j]));
			if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
			else out.push(right[j++]);
		}
	}
	return out;
}

/**
 * The patch list's elements (deletions aside) must appear in `$setElementOrder` in the same relative order;
 * upstream rejects a patch where they do not.
 */
export function checkSetElementOrder(
	patch: unknown[],
	order: unknown[],
	mergeKey?: string,
): void {
	const id = (x: unknown) => (mergeKey && isObject(x) ? x[mergeKey] : x);
	const items = patch.filter((x) => !(isObject(x) && "$patch" in x));
	let i = 0;
	for (const o of order)
		if (i < items.length && jsonEqual(id(items[i]), id(o))) i++;
	if (i < items.length)
		throw badPatch(
			`The order in patch list:\n${JSON.stringify(patch)}\n doesn't match $setElementOrder list:\n${JSON.stringify(order)}`,
		);
}
