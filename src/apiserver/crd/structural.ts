// Structural-schema checks for CRD version schemas (upstream's apiextensions "structural" rules): every field
// has a type unless int-or-string / preserve-unknown-fields says otherwise, arrays have items, metadata is
// ObjectMeta, defaults validate. Exports: `validateStructuralSchema(schema, path)`.

import type { JSONSchemaProps } from "kubernetes-types/apiextensions/v1";
import { type FieldError, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "./field-errors.ts";
import { compilePattern } from "./schema/pattern.ts";
import type { CrdSchema } from "./schema/types.ts";
import { validateValue } from "./schema/validate.ts";

const types = ["array", "boolean", "integer", "number", "object", "string"];

/** Errors of a version's openAPIV3Schema; `path` is where it sits ("spec.versions[0].schema.openAPIV3Schema"). */
export function validateStructuralSchema(schema: JSONSchemaProps, path: string): FieldError[] {
  const s = schema as CrdSchema;
  const errs: FieldError[] = [];
  if (!s.type && !s["x-kubernetes-preserve-unknown-fields"])
    errs.push(fieldRequired(`${path}.type`, "must not be empty at the root"));
  else if (s.type && s.type !== "object") errs.push(fieldInvalid(`${path}.type`, s.type, "must be object at the root"));
  const metadata = s.properties?.metadata;
  if (metadata) {
    const { type, properties, ...rest } = metadata;
    const other = Object.keys(properties ?? {}).filter((k) => k !== "name" && k !== "generateName");
    if ((type && type !== "object") || other.length || Object.keys(rest).some((k) => k !== "description"))
      errs.push(
        fieldForbidden(
          `${path}.properties[metadata]`,
          "must not specify anything other than name and generateName, but metadata is implicitly specified",
        ),
      );
  }
  walk(s, path, "root", errs);
  return errs;
}

type Position = "root" | "property" | "items" | "additionalProperties";

function walk(s: CrdSchema, path: string, position: Position, errs: FieldError[]): void {
  if ("$ref" in s) errs.push(fieldForbidden(`${path}.$ref`, "$ref is not supported"));
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserve = s["x-kubernetes-preserve-unknown-fields"];
  if (preserve === false)
    errs.push(fieldInvalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, "must be true or undefined"));
  if (intOrString && s.type)
    errs.push(fieldInvalid(`${path}.type`, s.type, "must be empty if x-kubernetes-int-or-string is true"));
  if (!s.type && !intOrString && !preserve && position !== "root") {
    const where = position === "items" ? "specified array items" : "specified object fields";
    errs.push(fieldRequired(`${path}.type`, `must not be empty for ${where}`));
  }
  if (s.type && !types.includes(s.type)) errs.push(fieldNotSupported(`${path}.type`, s.type, types));
  if (s["x-kubernetes-embedded-resource"] && s.type !== "object")
    errs.push(fieldInvalid(`${path}.type`, s.type ?? "", "must be object if x-kubernetes-embedded-resource is true"));
  if (s.type === "array" && !s.items) errs.push(fieldRequired(`${path}.items`, "must be specified"));
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== true)
    errs.push(
      fieldForbidden(`${path}.additionalProperties`, "additionalProperties and properties are mutual exclusive"),
    );
  if (s.additionalProperties === false) errs.push(fieldForbidden(`${path}.additionalProperties`, "must not be false"));
  if (s.pattern !== undefined && !compilePattern(s.pattern))
    errs.push(fieldInvalid(`${path}.pattern`, s.pattern, "must be a valid regular expression"));
  if (s.default !== undefined && position !== "root") {
    const { default: value, ...rest } = s;
    for (const e of validateValue(value, rest, "default")) errs.push({ ...e, field: `${path}.default` });
  }
  for (const [name, sub] of Object.entries(s.properties ?? {}))
    walk(sub, `${path}.properties[${name}]`, "property", errs);
  if (s.items && !Array.isArray(s.items)) walk(s.items, `${path}.items`, "items", errs);
  if (s.additionalProperties && typeof s.additionalProperties === "object")
    walk(s.additionalProperties, `${path}.additionalProperties`, "additionalProperties", errs);
}
