// How server-side apply names list items: keyed items as "k:{...}" (key fields sorted, defaults filled in),
// set items as "v:<json>". Lists whose items cannot be named that way (a missing key, duplicates) are
// handled as atomic, as upstream does for live objects it cannot index.

import { isObject } from "./json.ts";
import { keyDefaults, type ListType } from "./meta.ts";

/** The path element of one item, or undefined when the item lacks a key field. */
export function itemElement(item: unknown, lt: ListType): string | undefined {
	if (lt.type === "set") return `v:${JSON.stringify(item)}`;
	if (lt.type !== "map" || !isObject(item)) return undefined;
	const key: Record<string, unknown> = {};
	for (const k of [...lt.keys].sort()) {
		const v = item[k] ?? keyDefaults[k];
		if (v === undefined) return undefined;
		key[k] = v;
	}
	return `k:${JSON.stringify(key)}`;
}

/** Path elements of every item, or undefined when the list must be treated as atomic. */
export function listElements(
	list: unknown[],
	lt: ListType,
): string[] | undefined {
	if (lt.type === "atomic") return undefined;
	const out: string[] = [];
	const seen = new Set<string>();
	for (const item of list) {
		const e = itemElement(item, lt);
		if (e === undefined || seen.has(e)) return undefined;
		seen.add(e);
		out.push(e);
	}
	return out;
}
