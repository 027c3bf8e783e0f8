// Unknown-field detection for built-in kinds against the generated schemas, for fieldValidation=Strict/Warn:
// the paths come back as upstream prints them (`unknown field "spec.template.spec.containers[0].imagee"`).

import { childPath } from "../crd/field-errors.ts";
import {
	builtinDefinitions,
	definitionNameFor,
	type GroupVersionKind,
	resolveRef,
	type Schema,
} from "./definitions.ts";

/** Paths of the fields in `obj` that the built-in kind's schema does not declare; [] for unknown kinds. */
export function unknownBuiltinFields(
	gvk: GroupVersionKind,
	obj: unknown,
): string[] {
	const name = definitionNameFor(gvk);
	if (!name) return [];
	const out: string[] = [];
	walk(obj, builtinDefinitions[name], "", out);
	return out;
}

/** Paths of the fields in `value` (found at `path`) that the named built-in definition does not declare. */
export function unknownFieldsOfDefinition(
	definition: string,
	value: unknown,
	path: string,
): string[] {
	const out: string[] = [];
	walk(value, builtinDefinitions[definition], path, out);
	return out;
}

function walk(
	value: unknown,
	schema: Schema | undefined,
	path: string,
	out: string[],
): void {
	const s = resolveRef(schema);
	if (!s || value === null || typeof value !== "object") return;
	if (Array.isArray(value)) {
		if (s.items)
			for (const [i, item] of value.entries())
				walk(item, s.items, childPath(path, i), out);
		return;
	}
	// A schema without properties (RawExtension, JSON, free-form maps) accepts any field.
	if (!s.properties) {
		const extra = s.additionalProperties;
		if (extra && typeof extra === "object")
			for (const [k, v] of Object.entries(value))
				walk(v, extra, childPath(path, k), out);
		return;
	}
	for (const [k, v] of Object.entries(value)) {
		const sub = s.properties[k];
		if (sub) walk(v, sub, childPath(path, k), out);
		else out.push(childPath(path, k));
	}
}
