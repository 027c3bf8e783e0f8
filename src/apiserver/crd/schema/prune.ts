// Pruning: drops the fields of a custom resource its structural schema does not declare (unless
// x-kubernetes-preserve-unknown-fields says keep them), as upstream does on every write. Returns what it dropped,
// so the API server can answer fieldValidation=Strict/Warn with `unknown field "spec.foo"`.

import { childPath } from "../field-errors.ts";
import { type CrdSchema, isObject } from "./types.ts";

/** The fields every object and embedded resource keeps whatever its schema says. */
const typeMetaFields = new Set(["apiVersion", "kind", "metadata"]);

/**
 * Removes undeclared fields from `value` in place; returns their paths ("spec.foo", "spec.items[0].bar").
 * `isResource` marks the root of a custom resource (and is implied for x-kubernetes-embedded-resource).
 */
export function pruneUnknownFields(value: unknown, schema: CrdSchema, path = "", isResource = path === ""): string[] {
  const removed: string[] = [];
  prune(value, schema, path, isResource, removed);
  return removed;
}

function prune(value: unknown, schema: CrdSchema, path: string, isResource: boolean, removed: string[]): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (items) for (const [i, item] of value.entries()) prune(item, items, childPath(path, i), false, removed);
    return;
  }
  if (!isObject(value)) return;
  const resource = isResource || schema["x-kubernetes-embedded-resource"] === true;
  const additional = isObject(schema.additionalProperties) ? (schema.additionalProperties as CrdSchema) : undefined;
  for (const key of Object.keys(value)) {
    const sub = schema.properties?.[key] ?? additional;
    if (sub) {
      // metadata of the resource root is ObjectMeta: the API server's rules, not the schema's
      if (!(resource && key === "metadata" && path === ""))
        prune(value[key], sub, childPath(path, key), false, removed);
    } else if (
      !(resource && typeMetaFields.has(key)) &&
      !schema["x-kubernetes-preserve-unknown-fields"] &&
      schema.additionalProperties !== true
    ) {
      delete value[key];
      removed.push(childPath(path, key));
    }
  }
}
