// Sets of field paths, the unit of ownership in server-side apply, as a trie whose keys are FieldsV1 path
// elements: "f:<field>", "k:<json key>" (keyed list item), "v:<json value>" (set item), "i:<index>".
// `member` marks the path itself as in the set (FieldsV1 writes it as "." or as an empty object).

import type { JsonObject } from "./json.ts";

export class FieldSet {
	member = false;
	readonly children = new Map<string, FieldSet>();

	/** Decodes a FieldsV1 object; throws on anything that is not one. */
	static fromFieldsV1(json: unknown): FieldSet {
		const set = new FieldSet();
		if (typeof json !== "object" || json === null || Array.isArray(json))
			throw new Error(`invalid FieldsV1: ${JSON.stringify(json)}`);
		const entries = Object.entries(json);
		if (entries.length === 0) set.member = true;
		for (const [k, v] of entries) {
			if (k === ".") set.member = true;
			else if (/^[fkvi]:/.test(k))
				set.children.set(k, FieldSet.fromFieldsV1(v));
			else
				throw new Error(`invalid FieldsV1 path element ${JSON.stringify(k)}`);
		}
		return set;
	}

	toFieldsV1(): JsonObject {
		const out: JsonObject = {};
		const keys = [...this.children.keys()].sort(compareElements);
		if (this.member && keys.length > 0) out["."] = {};
		for (const k of keys) {
			const child = this.children.get(k) as FieldSet;
			if (!child.isEmpty()) out[k] = child.toFieldsV1();
		}
		return out;
	}

	child(element: string): FieldSet {
		let c = this.children.get(element);
		if (!c) {
			c = new FieldSet();
			this.children.set(element, c);
		}
		return c;
	}

	/** Marks `path` as a member. */
	insert(path: readonly string[]): void {
		let node: FieldSet = this;
		for (const e of path) node = node.child(e);
		node.member = true;
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

	isEmpty(): boolean {
		if (this.member) return false;
		for (const c of this.children.values()) if (!c.isEmpty()) return false;
		return true;
	}

	union(other: FieldSet): FieldSet {
		return combine(this, other, (a, b) => a || b);
	}

	difference(other: FieldSet): FieldSet {
		return combine(this, other, (a, b) => a && !b);
	}

	intersection(other: FieldSet): FieldSet {
		return combine(this, other, (a, b) => a && b);
	}

	/** Member paths in upstream's iteration order: a node's direct members first, then its subtrees. */
	*paths(prefix: string[] = []): Generator<string[]> {
		const keys = [...this.children.keys()].sort(compareElements);
		for (const k of keys)
			if (this.children.get(k)?.member) yield [...prefix, k];
		for (const k of keys)
			yield* (this.children.get(k) as FieldSet).paths([...prefix, k]);
	}
}

function combine(
	a: FieldSet | undefined,
	b: FieldSet | undefined,
	op: (a: boolean, b: boolean) => boolean,
): FieldSet {
	const out = new FieldSet();
	out.member = op(a?.member ?? false, b?.member ?? false);
	const keys = new Set([
		...(a?.children.keys() ?? []),
		...(b?.children.keys() ?? []),
	]);
	for (const k of keys) {
		const c = combine(a?.children.get(k), b?.children.get(k), op);
		if (!c.isEmpty()) out.children.set(k, c);
	}
	return out;
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
