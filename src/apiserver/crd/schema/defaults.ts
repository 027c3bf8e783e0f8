// Defaulting: fills in the `default`s of a custom resource's schema where the object leaves a field out (or
// null where null is not allowed), as upstream does on create, update and read. Mutates in place.

import { type CrdSchema, isObject } from "./types.ts";

export function applyDefaults(value: unknown, schema: CrdSchema): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) applyDefaults(item, schema.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const missing = value[key] === undefined || (value[key] === null && !sub.nullable);
    if (missing && sub.default !== undefined) value[key] = structuredClone(sub.default);
    if (value[key] !== undefined) applyDefaults(value[key], sub);
  }
  if (isObject(schema.additionalProperties)) {
    const declared = schema.properties ?? {};
    for (const [key, child] of Object.entries(value))
      if (!(key in declared)) applyDefaults(child, schema.additionalProperties);
  }
}
