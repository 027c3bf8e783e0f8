// Validates a custom resource against its version's openAPIV3Schema, with upstream's field error wording
// (`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`).
// Run after pruning and defaulting. Exports: `validateCustomResource(obj, schema)`, `validateValue(v, schema, path)`.

import {
  childPath,
  type FieldError,
  fieldDuplicate,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  fieldTooMany,
  fieldTypeInvalid,
} from "../field-errors.ts";
import { compilePattern } from "./pattern.ts";
import { type CrdSchema, isObject } from "./types.ts";

/** The JSON type name go-openapi reports for a value. */
function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case "object":
      return isObject(v);
    case "array":
      return Array.isArray(v);
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    default:
      return typeof v === type;
  }
}

/** The formats upstream validates (a subset of kube-openapi's strfmt registry). */
const formats: Record<string, RegExp> = {
  "date-time": /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  ipv4: /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/,
  email: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
  hostname: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  byte: /^[A-Za-z0-9+/]*={0,2}$/,
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/,
  uri: /^[a-zA-Z][a-zA-Z0-9+.-]*:\S*$/,
};

function formatValid(format: string, v: string): boolean {
  if (format === "ipv6") return v.includes(":") && /^[0-9a-fA-F:.]+$/.test(v);
  if (format === "cidr") {
    const [ip, bits] = v.split("/");
    return bits !== undefined && /^\d+$/.test(bits) && (formats.ipv4.test(ip) || ip.includes(":"));
  }
  const re = formats[format];
  return re ? re.test(v) : true; // unknown formats are ignored, as upstream
}

/** Errors of `value` (at field path `path`) against `schema`. */
export function validateValue(value: unknown, schema: CrdSchema, path: string): FieldError[] {
  const name = path || "<root>";
  if (value === null) {
    if (schema.nullable) return [];
    // upstream reports a null where a type is required like any other type mismatch
    return schema.type
      ? [fieldTypeInvalid(path, "null", `${name} in body must be of type ${schema.type}: "null"`)]
      : [];
  }
  const errs: FieldError[] = [];
  if (schema["x-kubernetes-int-or-string"]) {
    if (!(typeof value === "string" || (typeof value === "number" && Number.isInteger(value))))
      return [
        fieldTypeInvalid(path, jsonType(value), `${name} in body must be of type integer,string: "${jsonType(value)}"`),
      ];
  } else if (schema.type && !typeMatches(schema.type, value)) {
    return [
      fieldTypeInvalid(path, jsonType(value), `${name} in body must be of type ${schema.type}: "${jsonType(value)}"`),
    ];
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    errs.push(fieldNotSupported(path, value, schema.enum));
  if (typeof value === "number") errs.push(...numberErrors(value, schema, path, name));
  if (typeof value === "string") errs.push(...stringErrors(value, schema, path, name));
  if (Array.isArray(value)) errs.push(...arrayErrors(value, schema, path, name));
  if (isObject(value)) errs.push(...objectErrors(value, schema, path, name));
  errs.push(...combinatorErrors(value, schema, path, name));
  return errs;
}

function numberErrors(v: number, s: CrdSchema, path: string, name: string): FieldError[] {
  const errs: FieldError[] = [];
  if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum))
    errs.push(
      fieldInvalid(
        path,
        v,
        `${name} in body should be less than ${s.exclusiveMaximum ? "" : "or equal to "}${s.maximum}`,
      ),
    );
  if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum))
    errs.push(
      fieldInvalid(
        path,
        v,
        `${name} in body should be greater than ${s.exclusiveMinimum ? "" : "or equal to "}${s.minimum}`,
      ),
    );
  if (s.multipleOf && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9)
    errs.push(fieldInvalid(path, v, `${name} in body should be a multiple of ${s.multipleOf}`));
  return errs;
}

function stringErrors(v: string, s: CrdSchema, path: string, name: string): FieldError[] {
  const errs: FieldError[] = [];
  const length = [...v].length; // JSON Schema counts characters, not UTF-16 units
  if (s.maxLength !== undefined && length > s.maxLength) errs.push(fieldTooLong(path, s.maxLength));
  if (s.minLength !== undefined && length < s.minLength)
    errs.push(fieldInvalid(path, v, `${name} in body should be at least ${s.minLength} chars long`));
  // patterns JavaScript cannot read at all are refused when the CRD is validated
  if (s.pattern !== undefined && compilePattern(s.pattern)?.test(v) === false)
    errs.push(fieldInvalid(path, v, `${name} in body should match '${s.pattern}'`));
  if (s.format && !formatValid(s.format, v))
    errs.push(fieldInvalid(path, v, `${name} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
  return errs;
}

function arrayErrors(v: unknown[], s: CrdSchema, path: string, name: string): FieldError[] {
  const errs: FieldError[] = [];
  if (s.maxItems !== undefined && v.length > s.maxItems) errs.push(fieldTooMany(path, v.length, s.maxItems));
  if (s.minItems !== undefined && v.length < s.minItems)
    errs.push(fieldInvalid(path, v.length, `${name} in body should have at least ${s.minItems} items`));
  const listType = s["x-kubernetes-list-type"];
  if (s.uniqueItems || listType === "set") {
    const seen = new Set<string>();
    v.forEach((item, i) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) errs.push(fieldDuplicate(childPath(path, i), item));
      seen.add(key);
    });
  }
  if (listType === "map" && s["x-kubernetes-list-map-keys"]) {
    const keys = s["x-kubernetes-list-map-keys"];
    const seen = new Set<string>();
    v.forEach((item, i) => {
      if (!isObject(item)) return;
      const key = JSON.stringify(keys.map((k) => item[k]));
      if (seen.has(key))
        errs.push(fieldDuplicate(childPath(path, i), Object.fromEntries(keys.map((k) => [k, item[k]]))));
      seen.add(key);
    });
  }
  const items = s.items;
  if (items) for (const [i, item] of v.entries()) errs.push(...validateValue(item, items, childPath(path, i)));
  return errs;
}

function objectErrors(v: Record<string, unknown>, s: CrdSchema, path: string, name: string): FieldError[] {
  const errs: FieldError[] = [];
  // A key holding undefined is absent: it never reaches JSON.
  const present = Object.entries(v).filter(([, child]) => child !== undefined);
  for (const field of s.required ?? []) if (v[field] === undefined) errs.push(fieldRequired(childPath(path, field)));
  const count = present.length;
  if (s.maxProperties !== undefined && count > s.maxProperties) errs.push(fieldTooMany(path, count, s.maxProperties));
  if (s.minProperties !== undefined && count < s.minProperties)
    errs.push(fieldInvalid(path, count, `${name} in body should have at least ${s.minProperties} properties`));
  if (s["x-kubernetes-embedded-resource"]) {
    for (const field of ["apiVersion", "kind"])
      if (typeof v[field] !== "string" || v[field] === "")
        errs.push(fieldRequired(childPath(path, field), "must not be empty"));
  }
  for (const [key, child] of present) {
    const sub = s.properties?.[key] ?? (isObject(s.additionalProperties) ? s.additionalProperties : undefined);
    if (sub) errs.push(...validateValue(child, sub, childPath(path, key)));
  }
  return errs;
}

function combinatorErrors(v: unknown, s: CrdSchema, path: string, name: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const sub of s.allOf ?? []) errs.push(...validateValue(v, sub, path));
  if (s.anyOf && !s.anyOf.some((sub) => validateValue(v, sub, path).length === 0))
    errs.push(fieldInvalid(path, v, `${name} in body must validate at least one schema (anyOf)`));
  if (s.oneOf && s.oneOf.filter((sub) => validateValue(v, sub, path).length === 0).length !== 1)
    errs.push(fieldInvalid(path, v, `${name} in body must validate one and only one schema (oneOf)`));
  if (s.not && validateValue(v, s.not, path).length === 0)
    errs.push(fieldInvalid(path, v, `${name} in body must not validate the schema (not)`));
  return errs;
}

/**
 * Errors of a whole custom resource. apiVersion, kind and metadata are the API server's (ObjectMeta rules),
 * so only the rest of the object is checked against the schema.
 */
export function validateCustomResource(obj: Record<string, unknown>, schema: CrdSchema): FieldError[] {
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = obj;
  const properties = { ...schema.properties };
  delete properties.apiVersion;
  delete properties.kind;
  delete properties.metadata;
  const required = (schema.required ?? []).filter((f) => f !== "apiVersion" && f !== "kind" && f !== "metadata");
  return validateValue(rest, { ...schema, properties, required }, "");
}
