// Sets of field paths, the unit of ownership in server-side apply, as a trie whose keys are FieldsV1 path
// elements: "f:<field>", "k:<json key>" (keyed list item), "v:<json value>" (set item), "i:<index>".
// `member` marks the path itself as in the set (FieldsV1 writes it as "." or as an empty object).
//
// Sets are built once (decoded, or collected by a walk and then normalized) and never changed afterwards:
// set operations share unchanged subtrees with their inputs and return an input itself when nothing changes,
// so the common write (a small change against large ownership sets) costs little.

import type { JsonObject } from "./json.ts";

export class FieldSet {
  member = false;
  readonly children = new Map<string, FieldSet>();
  /** The FieldsV1 object this node was decoded from, reused when encoding it unchanged. */
  private source?: JsonObject;

  static readonly empty = new FieldSet();

  /** Decodes a FieldsV1 object; throws on anything that is not one. */
  static fromFieldsV1(json: unknown): FieldSet {
    if (typeof json !== "object" || json === null || Array.isArray(json))
      throw new Error(`invalid FieldsV1: ${JSON.stringify(json)}`);
    const set = new FieldSet();
    set.source = json as JsonObject;
    let entries = 0;
    for (const k in json) {
      entries++;
      const v = (json as JsonObject)[k];
      if (k === ".") set.member = true;
      else if (isElement(k)) set.children.set(k, FieldSet.fromFieldsV1(v));
      else throw new Error(`invalid FieldsV1 path element ${JSON.stringify(k)}`);
    }
    if (entries === 0) set.member = true;
    return set;
  }

  toFieldsV1(): JsonObject {
    if (this.source) return this.source;
    const out: JsonObject = {};
    const keys = [...this.children.keys()].sort(compareElements);
    if (this.member && keys.length > 0) out["."] = {};
    for (const k of keys) out[k] = (this.children.get(k) as FieldSet).toFieldsV1();
    this.source = out;
    return out;
  }

  /** The child node for `element`, created if missing (only while building a set). */
  child(element: string): FieldSet {
    let c = this.children.get(element);
    if (!c) {
      c = new FieldSet();
      this.children.set(element, c);
    }
    return c;
  }

  /** Marks `path` as a member (only while building a set). */
  insert(path: readonly string[]): void {
    let node: FieldSet = this;
    for (const e of path) node = node.child(e);
    node.member = true;
  }

  /** Drops empty nodes a walk left behind; call once when done building. Returns `this`. */
  normalize(): FieldSet {
    for (const [k, c] of this.children) {
      c.normalize();
      if (c.isEmpty()) this.children.delete(k);
    }
    return this;
  }

  /** The node at `path`, if any. */
  at(path: readonly string[]): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const e of path) {
      node = node.children.get(e);
      if (!node) return undefined;
    }
    return node;
  }

  has(path: readonly string[]): boolean {
    return this.at(path)?.member ?? false;
  }

  /** Valid for normalized sets, which hold no empty nodes. */
  isEmpty(): boolean {
    return !this.member && this.children.size === 0;
  }

  union(other: FieldSet): FieldSet {
    if (other.isEmpty() || other === this) return this;
    if (this.isEmpty()) return other;
    const out = new FieldSet();
    out.member = this.member || other.member;
    let changed = out.member !== this.member;
    for (const [k, c] of this.children) out.children.set(k, c);
    for (const [k, c] of other.children) {
      const mine = this.children.get(k);
      const u = mine ? mine.union(c) : c;
      if (u !== mine) changed = true;
      out.children.set(k, u);
    }
    return changed ? out : this;
  }

  difference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    const out = new FieldSet();
    out.member = this.member && !other.member;
    let changed = out.member !== this.member;
    for (const [k, c] of this.children) {
      const theirs = other.children.get(k);
      const d = theirs ? c.difference(theirs) : c;
      if (d !== c) changed = true;
      if (!d.isEmpty()) out.children.set(k, d);
    }
    return changed ? out : this;
  }

  intersection(other: FieldSet): FieldSet {
    if (this.isEmpty() || other.isEmpty()) return FieldSet.empty;
    const out = new FieldSet();
    out.member = this.member && other.member;
    const [small, large] = this.children.size <= other.children.size ? [this, other] : [other, this];
    for (const [k, c] of small.children) {
      const theirs = large.children.get(k);
      if (!theirs) continue;
      const i = c.intersection(theirs);
      if (!i.isEmpty()) out.children.set(k, i);
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    if (this === other) return true;
    if (this.member !== other.member || this.children.size !== other.children.size) return false;
    for (const [k, c] of this.children) {
      const theirs = other.children.get(k);
      if (!theirs || !c.equals(theirs)) return false;
    }
    return true;
  }

  /** Member paths in upstream's iteration order: a node's direct members first, then its subtrees. */
  *paths(prefix: string[] = []): Generator<string[]> {
    const keys = [...this.children.keys()].sort(compareElements);
    for (const k of keys) if (this.children.get(k)?.member) yield [...prefix, k];
    for (const k of keys) yield* (this.children.get(k) as FieldSet).paths([...prefix, k]);
  }
}

const kindOrder: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Upstream orders path elements by kind (field, key, value, index), then by value. */
export function compareElements(a: string, b: string): number {
  const d = (kindOrder[a[0]] ?? 9) - (kindOrder[b[0]] ?? 9);
  if (d !== 0) return d;
  if (a[0] === "i") return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A path as upstream prints it in conflicts: `.spec.template.spec.containers[name="nginx"].image`. */
export function pathString(path: readonly string[]): string {
  let out = "";
  for (const e of path) {
    const body = e.slice(2);
    switch (e[0]) {
      case "f":
        out += `.${body}`;
        break;
      case "k": {
        const key = JSON.parse(body) as JsonObject;
        const parts = Object.keys(key)
          .sort()
          .map((k) => `${k}=${JSON.stringify(key[k])}`);
        out += `[${parts.join(",")}]`;
        break;
      }
      case "v":
        out += `[=${body}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}

/** "f:", "k:", "v:" or "i:" followed by the element. */
function isElement(k: string): boolean {
  const c = k.charCodeAt(0);
  return k.charCodeAt(1) === 58 && (c === 102 || c === 107 || c === 118 || c === 105);
}
