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
const alwaysPresent = new Set([
	"metadata",
	"spec",
	"status",
	"template",
	"strategy",
	"updateStrategy",
	"containers",
]);

/** The object's entries that ownership covers, given where in the object we are. */
function ownedEntries(
	obj: JsonObject,
	names: readonly string[],
	opts: WalkOptions,
): [string, unknown][] {
	const entries = Object.entries(obj);
	if (names.length === 0)
		return entries.filter(
			([k]) => !strippedTop.has(k) && !opts.ignore?.includes(k),
		);
	if (names.length === 1 && names[0] === "metadata")
		return entries.filter(([k]) => !strippedMeta.has(k));
	return entries;
}

type Mode = "apply" | "added";

/** The fields an applied configuration sets: leaves, keyed and set items; maps only when empty. */
export function fieldSetOf(obj: KubeObject, opts: WalkOptions): FieldSet {
	const set = new FieldSet();
	collect(obj, [], set, opts, "apply");
	return set;
}

/**
 * Adds `value`'s fields below `node`. Mode "apply" marks leaves and list items; "added" (a value that
 * appeared in an update) also marks maps and lists themselves, as upstream's comparison does.
 */
function collect(
	value: unknown,
	names: string[],
	node: FieldSet,
	opts: WalkOptions,
	mode: Mode,
): void {
	if (isObject(value)) {
		// A map that is empty is a value of its own; one holding only unowned fields (metadata.name) is nothing.
		if (Object.keys(value).length === 0) {
			if (names.length > 0) node.member = true;
			return;
		}
		const entries = ownedEntries(value, names, opts);
		if (entries.length === 0) return;
		if (
			mode === "added" &&
			names.length > 0 &&
			!alwaysPresent.has(names[names.length - 1])
		)
			node.member = true;
		for (const [k, v] of entries)
			collect(v, [...names, k], node.child(`f:${k}`), opts, mode);
		return;
	}
	if (Array.isArray(value) && value.length > 0) {
		const lt = listTypeOf(opts.meta.strategyFor(names));
		const elements = listElements(value, lt);
		if (elements) {
			if (mode === "added" && !alwaysPresent.has(names[names.length - 1]))
				node.member = true;
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
export function compareObjects(
	before: KubeObject | undefined,
	after: KubeObject,
	opts: WalkOptions,
): Comparison {
	const c: Comparison = {
		added: new FieldSet(),
		modified: new FieldSet(),
		removed: new FieldSet(),
	};
	new Comparer(opts).compare(
		before ?? {},
		after,
		[],
		c.added,
		c.modified,
		c.removed,
	);
	return c;
}

class Comparer {
	constructor(private readonly opts: WalkOptions) {}

	/** Compares two values at one path; the three nodes are that path in added/modified/removed. */
	compare(
		a: unknown,
		b: unknown,
		names: string[],
		add: FieldSet,
		mod: FieldSet,
		rem: FieldSet,
	): void {
		if (a === undefined && b === undefined) return;
		if (a === undefined) {
			collect(b, names, add, this.opts, "added");
			return;
		}
		if (b === undefined) {
			this.removeAll(a, names, rem);
			return;
		}
		if (isObject(a) && isObject(b)) {
			const ea = ownedEntries(a, names, this.opts);
			const eb = ownedEntries(b, names, this.opts);
			if (ea.length === 0 && eb.length === 0) return;
			const keys = new Set([...ea.map(([k]) => k), ...eb.map(([k]) => k)]);
			for (const k of keys) {
				const e = `f:${k}`;
				this.compareChild(a[k], b[k], [...names, k], add, mod, rem, e);
			}
			return;
		}
		if (
			Array.isArray(a) &&
			Array.isArray(b) &&
			(a.length > 0 || b.length > 0)
		) {
			const lt = listTypeOf(this.opts.meta.strategyFor(names));
			const ea = listElements(a, lt);
			const eb = listElements(b, lt);
			if (ea && eb) {
				const byElement = new Map(ea.map((e, i) => [e, a[i]]));
				const inB = new Set(eb);
				eb.forEach((e, i) => {
					const before = byElement.get(e);
					if (before === undefined)
						collect(b[i], names, this.itemNode(add, e), this.opts, "added");
					else if (lt.type === "map")
						this.compareChild(before, b[i], names, add, mod, rem, e);
				});
				for (const e of ea)
					if (!inB.has(e))
						this.removeAll(byElement.get(e), names, rem.child(e), true);
				return;
			}
		}
		if (!jsonEqual(a, b)) {
			mod.member = true;
			// A map or list that became a different kind of value loses its old insides.
			if (typeof a === "object" && a !== null)
				this.removeAll(a, names, rem, false);
		}
	}

	private compareChild(
		a: unknown,
		b: unknown,
		names: string[],
		add: FieldSet,
		mod: FieldSet,
		rem: FieldSet,
		e: string,
	): void {
		if (a !== undefined && b !== undefined && a === b) return;
		// Nodes are created on demand; empty ones are dropped when the sets are combined or encoded.
		this.compare(a, b, names, add.child(e), mod.child(e), rem.child(e));
	}

	private itemNode(node: FieldSet, e: string): FieldSet {
		const child = node.child(e);
		child.member = true;
		return child;
	}

	/** Marks `value` and everything in it removed, so every manager loses all of it. */
	private removeAll(
		value: unknown,
		names: string[],
		node: FieldSet,
		self = true,
	): void {
		if (self) node.member = true;
		if (isObject(value)) {
			for (const [k, v] of ownedEntries(value, names, this.opts))
				this.removeAll(v, [...names, k], node.child(`f:${k}`));
		} else if (Array.isArray(value)) {
			const lt = listTypeOf(this.opts.meta.strategyFor(names));
			const elements = listElements(value, lt);
			elements?.forEach((e, i) => {
				this.removeAll(value[i], names, node.child(e));
			});
		}
	}
}
