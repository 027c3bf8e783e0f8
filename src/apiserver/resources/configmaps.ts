// core/v1 ConfigMap: keys must be valid config keys; DATA column counts data + binaryData.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, nameColumn } from "../table.ts";
import { type FieldError, forbiddenField, invalidValue } from "../validation.ts";
import { describe } from "./types.ts";

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Keys of ConfigMap and Secret data (upstream's IsConfigMapKey). */
export function validateDataKeys(obj: KubeObject, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of fields) {
    for (const key of Object.keys(obj[field] ?? {})) {
      if (!CONFIG_KEY.test(key) || key.length > 253 || key === "." || key === "..") {
        errs.push(
          invalidValue(
            `${field}`,
            key,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
          ),
        );
      }
    }
  }
  return errs;
}

/** ConfigMaps and Secrets marked `immutable` keep their data, and stay immutable, as upstream. */
export function validateImmutableData(obj: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  if (!old.immutable) return [];
  const errs: FieldError[] = [];
  if (!obj.immutable) errs.push(forbiddenField("immutable", "field is immutable when `immutable` is set"));
  for (const f of fields) {
    if (JSON.stringify(obj[f] ?? {}) !== JSON.stringify(old[f] ?? {})) {
      errs.push(forbiddenField(f, "field is immutable when `immutable` is set"));
    }
  }
  return errs;
}

export const dataCount = (obj: KubeObject) =>
  Object.keys(obj.data ?? {}).length + Object.keys(obj.binaryData ?? obj.stringData ?? {}).length;

export default describe({
  group: "",
  version: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
  namespaced: true,
  shortNames: ["cm"],
  validate: (cm) => validateDataKeys(cm, ["data", "binaryData"]),
  validateUpdate: (cm, old) => validateImmutableData(cm, old, ["data", "binaryData"]),
  columns: [nameColumn, col("Data", dataCount, { type: "integer" }), ageColumn],
});
