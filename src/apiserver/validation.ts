// Field errors (upstream's field.ErrorList) and the validators every type shares: DNS-1123 names, label and
// annotation syntax, object metadata. Messages follow apimachinery's wording so kubectl output matches.

import type { ObjectMeta } from "../api/types.ts";
import { invalid, type StatusCause, type StatusError } from "./errors.ts";

export type FieldError = StatusCause & { field: string };

const show = (v: unknown) =>
  typeof v === "string" ? JSON.stringify(v) : typeof v === "object" ? JSON.stringify(v) : String(v);

export const required = (field: string, detail = ""): FieldError => ({
  field,
  reason: "FieldValueRequired",
  message: detail ? `Required value: ${detail}` : "Required value",
});
export const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  reason: "FieldValueInvalid",
  message: `Invalid value: ${show(value)}: ${detail}`,
});
export const notSupported = (field: string, value: unknown, valid: string[]): FieldError => ({
  field,
  reason: "FieldValueNotSupported",
  message: `Unsupported value: ${show(value)}: supported values: ${valid.map((v) => `"${v}"`).join(", ")}`,
});
export const duplicate = (field: string, value: unknown): FieldError => ({
  field,
  reason: "FieldValueDuplicate",
  message: `Duplicate value: ${show(value)}`,
});
export const forbiddenField = (field: string, detail: string): FieldError => ({
  field,
  reason: "FieldValueForbidden",
  message: `Forbidden: ${detail}`,
});
export const tooLong = (field: string, max: number): FieldError => ({
  field,
  reason: "FieldValueTooLong",
  message: `Too long: may not be more than ${max} bytes`,
});
export const immutable = (field: string, value: unknown): FieldError =>
  invalidValue(field, value, "field is immutable");

/** Throws 422 Invalid when there are errors. */
export function throwIfInvalid(errors: FieldError[], group: string, kind: string, name: string): void {
  if (errors.length > 0) throw invalidError(errors, group, kind, name);
}
export const invalidError = (errors: FieldError[], group: string, kind: string, name: string): StatusError =>
  invalid(group, kind, name, errors);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Messages for a value that is not a DNS-1123 label (max 63), or [] when it is. */
export function dns1123Label(value: string): string[] {
  const msgs: string[] = [];
  if (value.length > 63) msgs.push("must be no more than 63 characters");
  if (!DNS1123_LABEL.test(value)) msgs.push(DNS1123_LABEL_MSG);
  return msgs;
}

export function dns1123Subdomain(value: string): string[] {
  const msgs: string[] = [];
  if (value.length > 253) msgs.push("must be no more than 253 characters");
  if (!DNS1123_SUBDOMAIN.test(value)) msgs.push(DNS1123_SUBDOMAIN_MSG);
  return msgs;
}

/** Label/annotation keys: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 characters. */
export function qualifiedName(value: string): string[] {
  const parts = value.split("/");
  let name = value;
  const msgs: string[] = [];
  if (parts.length === 2) {
    if (parts[0].length === 0) msgs.push("prefix part must be non-empty");
    else msgs.push(...dns1123Subdomain(parts[0]).map((m) => `prefix part ${m}`));
    name = parts[1];
  } else if (parts.length > 2) {
    return [
      `a qualified name ${QUALIFIED_NAME_MSG.replace("name part ", "")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) msgs.push("name part must be non-empty");
  else {
    if (name.length > 63) msgs.push("name part must be no more than 63 characters");
    if (!QUALIFIED_NAME_PART.test(name)) msgs.push(QUALIFIED_NAME_MSG);
  }
  return msgs;
}

export function labelValue(value: string): string[] {
  const msgs: string[] = [];
  if (value.length > 63) msgs.push("must be no more than 63 characters");
  if (!LABEL_VALUE.test(value)) msgs.push(LABEL_VALUE_MSG);
  return msgs;
}

/** How a type's names are checked: most use DNS-1123 subdomains, some (namespaces, services) labels. */
export type NameValidator = (name: string) => string[];
/** RBAC objects and a few others accept any name that is a valid path segment. */
export const pathSegmentName: NameValidator = (name) =>
  name === "." || name === ".." ? [`may not be '${name}'`] : /[/%]/.test(name) ? [`may not contain '/' or '%'`] : [];

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

/** Validates metadata common to every object (name syntax is the caller's NameValidator). */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  validateName: NameValidator,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!meta) return [required("metadata")];
  if (!meta.name && !meta.generateName) errs.push(required("metadata.name", "name or generateName is required"));
  if (meta.name) for (const m of validateName(meta.name)) errs.push(invalidValue("metadata.name", meta.name, m));
  if (namespaced && !meta.namespace) errs.push(required("metadata.namespace"));
  if (!namespaced && meta.namespace) errs.push(forbiddenField("metadata.namespace", "not allowed on this type"));
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    for (const m of qualifiedName(key)) errs.push(invalidValue("metadata.labels", key, m));
    if (typeof value !== "string") errs.push(invalidValue(`metadata.labels`, value, "label values must be strings"));
    else for (const m of labelValue(value)) errs.push(invalidValue("metadata.labels", value, m));
  }
  let size = 0;
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    for (const m of qualifiedName(key)) errs.push(invalidValue("metadata.annotations", key, m));
    size += key.length + String(value).length;
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push(tooLong("metadata.annotations", TOTAL_ANNOTATION_SIZE));
  return errs;
}
