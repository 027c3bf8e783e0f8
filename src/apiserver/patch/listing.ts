// How server-side apply names list items: keyed items as "k:{...}" (key fields sorted, defaults filled in),
// set items as "v:<json>". Lists whose items cannot be named that way (a missing key, duplicates) are
// handled as atomic, as upstream does for live objects it cannot index.

import { isObject } from "./json.ts";
import { keyDefaults, type ListType } from "./meta.ts";

/** The path element of one item, or undefined when the item lacks a key field. */
export function itemElement(item: unknown, lt: ListType): string | undefined {
  if (lt.type === "set") return `v:${JSON.stringify(item)}`;
  if (lt.type !== "map" || !isObject(item)) return undefined;
  const keys = lt.keys;
  let out = "k:{";
  for (let i = 0; i < keys.length; i++) {
    const v = item[keys[i]] ?? keyDefaults[keys[i]];
    if (v === undefined) return undefined;
    out += `${i ? "," : ""}${lt.prefixes[i]}${typeof v === "string" ? quote(v) : JSON.stringify(v)}`;
  }
  return `${out}}`;
}

/** Path elements of every item, or undefined when the list must be treated as atomic. */
export function listElements(list: unknown[], lt: ListType): string[] | undefined {
  if (lt.type === "atomic") return undefined;
  const out: string[] = new Array(list.length);
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const e = itemElement(list[i], lt);
    if (e === undefined || seen.has(e)) return undefined;
    seen.add(e);
    out[i] = e;
  }
  return out;
}

/** JSON.stringify for strings, skipping the call for the plain names keys almost always are. */
function quote(v: string): string {
  return /^[\w.\-/]*$/.test(v) ? `"${v}"` : JSON.stringify(v);
}
