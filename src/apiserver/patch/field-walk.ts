// Walks objects the way server-side apply sees them: which fields an object sets (the applier's field set) and
// what changed between two versions (added, modified, removed), with lists as atomic, sets or keyed maps.
// Identity and bookkeeping fields (apiVersion, kind, metadata.name/uid/resourceVersion/managedFields…) are
// nobody's, as upstream strips them.

import type { KubeObject } from "../../api/types.ts";
import { FieldSet } from "./fieldset.ts";
import { isObject, type JsonObject, jsonEqual } from "./json.ts";
import { listElements } from "./listing.ts";
import { listTypeOf, type PatchMeta } from "./meta.ts";

export interface WalkOptions {
  meta: PatchMeta;
  /** Top-level fields left out of ownership (e.g. "status" where a subresource resets it). */
  ignore?: readonly string[];
  /** When set, the only top-level fields ownership covers (e.g. ["status"] for the status subresource). */
  only?: readonly string[];
}

const strippedTop = new Set(["apiVersion", "kind"]);
const strippedMeta = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "selfLink",
  "managedFields",
  "clusterName",
]);

/** Fields of a new object that always exist in upstream's typed empty object, so adding them is not news. */
const alwaysPresent = new Set(["metadata", "spec", "status", "template", "strategy", "updateStrategy", "containers"]);

/** The object's entries that ownership covers, given where in the object we are. */
function ownedEntries(obj: JsonObject, names: readonly string[], opts: WalkOptions): [string, unknown][] {
  const entries = Object.entries(obj);
  if (names.length === 0) return entries.filter(([k]) => !strippedTop.has(k) && !opts.ignore?.includes(k));
  if (names.length === 1 && names[0] === "metadata") return entries.filter(([k]) => !strippedMeta.has(k));
  return entries;
}

type Mode = "apply" | "added";

/** Atomic structs and maps (and list elements) are one value: owned, compared and replaced whole. */
function isAtomic(opts: WalkOptions, names: readonly string[]): boolean {
  return names.length > 0 && (opts.meta.isAtomic?.(names) ?? false);
}

/** The fields an applied configuration sets: leaves, keyed and set items; maps only when empty. */
export function fieldSetOf(obj: KubeObject, opts: WalkOptions): FieldSet {
  const set = new FieldSet();
  collect(obj, [], set, opts, "apply");
  return set.normalize();
}

/**
 * Adds `value`'s fields below `node`. Mode "apply" marks leaves and list items; "added" (a value that
 * appeared in an update) also marks maps and lists themselves, as upstream's comparison does.
 */
function collect(value: unknown, names: string[], node: FieldSet, opts: WalkOptions, mode: Mode): void {
  if (isObject(value)) {
    // A map that is empty is a value of its own; one holding only unowned fields (metadata.name) is nothing.
    if (Object.keys(value).length === 0) {
      if (names.length > 0) node.member = true;
      return;
    }
    if (isAtomic(opts, names)) {
      node.member = true;
      return;
    }
    const entries = ownedEntries(value, names, opts);
    if (entries.length === 0) return;
    if (mode === "added" && names.length > 0 && !alwaysPresent.has(names[names.length - 1])) node.member = true;
    for (const [k, v] of entries) collect(v, [...names, k], node.child(`f:${k}`), opts, mode);
    return;
  }
  if (Array.isArray(value) && value.length > 0) {
    const lt = listTypeOf(opts.meta.strategyFor(names));
    const elements = listElements(value, lt);
    if (elements) {
      if (mode === "added" && !alwaysPresent.has(names[names.length - 1])) node.member = true;
      value.forEach((item, i) => {
        const child = node.child(elements[i]);
        child.member = true;
        if (lt.type === "map") collect(item, names, child, opts, mode);
      });
      return;
    }
  }
  node.member = true;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `before` to `after` (`before` undefined: a create). */
export function compareObjects(before: KubeObject | undefined, after: KubeObject, opts: WalkOptions): Comparison {
  const c: Comparison = {
    added: new FieldSet(),
    modified: new FieldSet(),
    removed: new FieldSet(),
  };
  new Comparer(c, opts).compare(before ?? {}, after, [], []);
  c.added.normalize();
  c.modified.normalize();
  c.removed.normalize();
  return c;
}

/** Walks two versions side by side; nodes of the result sets are created only where something differs. */
class Comparer {
  constructor(
    private readonly c: Comparison,
    private readonly opts: WalkOptions,
  ) {}

  /** Compares two values at `path` (FieldsV1 elements; `names` the field names along it). */
  compare(a: unknown, b: unknown, names: string[], path: string[]): void {
    if (a === b) return;
    if (a === undefined) {
      collect(b, names, nodeAt(this.c.added, path), this.opts, "added");
      return;
    }
    if (b === undefined) {
      this.removeAll(a, names, nodeAt(this.c.removed, path), true);
      return;
    }
    // Most of an object is unchanged by a write: one equality scan skips a subtree without building anything.
    // (Not at the top or on metadata, which hold the large managedFields the walk leaves out anyway.)
    if (names.length > 1 || (names.length === 1 && names[0] !== "metadata"))
      if (typeof a === "object" && typeof b === "object" && jsonEqual(a, b)) return;
    if (isObject(a) && isObject(b) && !isAtomic(this.opts, names)) {
      const ea = ownedEntries(a, names, this.opts);
      const eb = ownedEntries(b, names, this.opts);
      if (ea.length === 0 && eb.length === 0) return;
      const keys = new Set<string>();
      for (const [k] of ea) keys.add(k);
      for (const [k] of eb) keys.add(k);
      for (const k of keys) {
        names.push(k);
        path.push(`f:${k}`);
        this.compare(a[k], b[k], names, path);
        path.pop();
        names.pop();
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && (a.length > 0 || b.length > 0)) {
      const lt = listTypeOf(this.opts.meta.strategyFor(names));
      const ea = listElements(a, lt);
      const eb = listElements(b, lt);
      if (ea && eb) {
        const byElement = new Map(ea.map((e, i) => [e, a[i]]));
        const inB = new Set(eb);
        eb.forEach((e, i) => {
          const before = byElement.get(e);
          path.push(e);
          if (before === undefined) {
            const node = nodeAt(this.c.added, path);
            node.member = true;
            if (lt.type === "map") collect(b[i], names, node, this.opts, "added");
          } else if (lt.type === "map") this.compare(before, b[i], names, path);
          path.pop();
        });
        for (const e of ea) {
          if (inB.has(e)) continue;
          path.push(e);
          this.removeAll(byElement.get(e), names, nodeAt(this.c.removed, path), true);
          path.pop();
        }
        return;
      }
    }
    if (!jsonEqual(a, b)) {
      nodeAt(this.c.modified, path).member = true;
      // A map or list that became a different kind of value loses its old insides.
      if (typeof a === "object" && a !== null) this.removeAll(a, names, nodeAt(this.c.removed, path), false);
    }
  }

  /** Marks `value` and everything in it removed, so every manager loses all of it. */
  private removeAll(value: unknown, names: string[], node: FieldSet, self: boolean): void {
    if (self) node.member = true;
    if (isObject(value) && !isAtomic(this.opts, names)) {
      for (const [k, v] of ownedEntries(value, names, this.opts))
        this.removeAll(v, [...names, k], node.child(`f:${k}`), true);
    } else if (Array.isArray(value)) {
      const lt = listTypeOf(this.opts.meta.strategyFor(names));
      const elements = listElements(value, lt);
      elements?.forEach((e, i) => {
        this.removeAll(value[i], names, node.child(e), true);
      });
    }
  }
}

function nodeAt(set: FieldSet, path: readonly string[]): FieldSet {
  let node = set;
  for (const e of path) node = node.child(e);
  return node;
}
