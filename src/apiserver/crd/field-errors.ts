// Field errors for CRD and custom resource validation: the API server's own helpers (src/apiserver/validation.ts,
// upstream's field.ErrorList wording) under the names this folder uses, plus the few kinds only schemas need.

import { duplicate, type FieldError, forbiddenField, invalidValue, required, tooLong } from "../validation.ts";

export type { FieldError };
export {
  duplicate as fieldDuplicate,
  forbiddenField as fieldForbidden,
  invalidValue as fieldInvalid,
  required as fieldRequired,
  tooLong as fieldTooLong,
};

/** How upstream quotes a value in a message: strings quoted, numbers/booleans bare, objects as JSON. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  return typeof v === "string" || typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** A value of the wrong JSON type (upstream's field.TypeInvalid). */
export const fieldTypeInvalid = (field: string, value: unknown, detail: string): FieldError => ({
  ...invalidValue(field, value, detail),
  reason: "FieldValueTypeInvalid",
});

/** Not one of an enum's values, which may be any JSON (the API server's notSupported takes strings). */
export const fieldNotSupported = (field: string, value: unknown, valid: unknown[]): FieldError => ({
  field,
  reason: "FieldValueNotSupported",
  message: `Unsupported value: ${showValue(value)}: supported values: ${valid.map(showValue).join(", ")}`,
});

export const fieldTooMany = (field: string, actual: number, max: number): FieldError => ({
  field,
  reason: "FieldValueTooMany",
  message: `Too many: ${actual}: must have at most ${max} items`,
});

/** Appends a property name or a list index to a field path ("spec.x", "spec.items[0]"). */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}
