// Unknown-field detection for built-in kinds against the generated schemas, for fieldValidation=Strict/Warn:
// the paths come back as upstream prints them (`unknown field "spec.template.spec.containers[0].imagee"`).
// With `drop`, the fields are also removed, as upstream's decoding into typed structs loses them.

import { childPath } from "../crd/field-errors.ts";
import {
  builtinDefinitions,
  definitionNameFor,
  type GroupVersionKind,
  resolveRef,
  type Schema,
} from "./definitions.ts";

/** Paths of the fields in `obj` that the built-in kind's schema does not declare; [] for unknown kinds. */
export function unknownBuiltinFields(gvk: GroupVersionKind, obj: unknown, drop = false): string[] {
  const name = definitionNameFor(gvk);
  return name ? unknownFieldsOfDefinition(name, obj, "", drop) : [];
}

/** Paths of the fields in `value` (found at `path`) that the named built-in definition does not declare. */
export function unknownFieldsOfDefinition(definition: string, value: unknown, path: string, drop = false): string[] {
  const out: string[] = [];
  walk(value, builtinDefinitions[definition], path, out, drop);
  return out;
}

function walk(value: unknown, schema: Schema | undefined, path: string, out: string[], drop: boolean): void {
  const s = resolveRef(schema);
  if (!s || value === null || typeof value !== "object" || s["x-kubernetes-preserve-unknown-fields"]) return;
  if (Array.isArray(value)) {
    if (s.items) for (const [i, item] of value.entries()) walk(item, s.items, childPath(path, i), out, drop);
    return;
  }
  const obj = value as Record<string, unknown>;
  // A schema without properties (RawExtension, JSON, free-form maps) accepts any field.
  if (!s.properties) {
    const extra = s.additionalProperties;
    if (extra && typeof extra === "object")
      for (const [k, v] of Object.entries(obj)) walk(v, extra, childPath(path, k), out, drop);
    return;
  }
  for (const [k, v] of Object.entries(obj)) {
    const sub = s.properties[k];
    if (sub) walk(v, sub, childPath(path, k), out, drop);
    else {
      out.push(childPath(path, k));
      if (drop) delete obj[k];
    }
  }
}
