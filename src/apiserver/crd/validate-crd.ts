// Validation of CustomResourceDefinition objects as upstream's apiextensions validation does it: names,
// group, scope, versions (exactly one storage version), printer columns, scale paths and structural schemas.
// Exports: `validateCustomResourceDefinition(crd)`, `validateCustomResourceDefinitionUpdate(crd, old)` and
// `validateCustomResourceDefinitionChange(crd, old)` (the update-only part).

import type {
  CustomResourceColumnDefinition,
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
} from "kubernetes-types/apiextensions/v1";
import {
  type FieldError,
  fieldDuplicate,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooMany,
} from "./field-errors.ts";
import { parseJsonPath } from "./jsonpath.ts";
import { validateStructuralSchema } from "./structural.ts";

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

function dns1035(field: string, value: string | undefined, requiredValue: boolean): FieldError[] {
  if (!value) return requiredValue ? [fieldRequired(field)] : [];
  if (value.length > 63) return [fieldInvalid(field, value, "must be no more than 63 characters")];
  return DNS1035.test(value) ? [] : [fieldInvalid(field, value, DNS1035_MSG)];
}

function kindName(field: string, value: string | undefined): FieldError[] {
  if (!value) return [fieldRequired(field)];
  return KIND.test(value)
    ? []
    : [fieldInvalid(field, value, "may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?")];
}

function validateNames(crd: CustomResourceDefinition): FieldError[] {
  const names = crd.spec?.names ?? ({} as CustomResourceDefinition["spec"]["names"]);
  const errs = [
    ...dns1035("spec.names.plural", names.plural, true),
    ...dns1035("spec.names.singular", names.singular, false),
    ...kindName("spec.names.kind", names.kind),
    ...(names.listKind ? kindName("spec.names.listKind", names.listKind) : []),
  ];
  if (names.kind && names.listKind === names.kind)
    errs.push(fieldInvalid("spec.names.listKind", names.listKind, "kind and listKind may not be the same"));
  (names.shortNames ?? []).forEach((s, i) => {
    errs.push(...dns1035(`spec.names.shortNames[${i}]`, s, true));
  });
  (names.categories ?? []).forEach((c, i) => {
    errs.push(...dns1035(`spec.names.categories[${i}]`, c, true));
  });
  return errs;
}

const columnTypes = ["boolean", "date", "integer", "number", "string"];

function validateColumns(columns: CustomResourceColumnDefinition[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!c.name) errs.push(fieldRequired(`${p}.name`));
    else if (seen.has(c.name)) errs.push(fieldDuplicate(`${p}.name`, c.name));
    seen.add(c.name);
    if (!c.type) errs.push(fieldRequired(`${p}.type`));
    else if (!columnTypes.includes(c.type)) errs.push(fieldNotSupported(`${p}.type`, c.type, columnTypes));
    if (!c.jsonPath) errs.push(fieldRequired(`${p}.jsonPath`));
    else if (!validJsonPath(c.jsonPath))
      errs.push(fieldInvalid(`${p}.jsonPath`, c.jsonPath, "must be a simple json path starting with ."));
    if (c.priority !== undefined && c.priority < 0)
      errs.push(fieldInvalid(`${p}.priority`, c.priority, "must be greater than or equal to 0"));
  });
  return errs;
}

function validJsonPath(path: string): boolean {
  if (!path.startsWith(".")) return false;
  try {
    parseJsonPath(path);
    return true;
  } catch {
    return false;
  }
}

function validateScalePath(
  field: string,
  value: string | undefined,
  under: string[],
  requiredValue: boolean,
): FieldError[] {
  if (!value) return requiredValue ? [fieldRequired(field)] : [];
  if (!validJsonPath(value) || !under.some((u) => value.startsWith(`${u}.`)))
    return [fieldInvalid(field, value, `should be a json path under ${under.join(" or ")}`)];
  return [];
}

function validateVersion(v: CustomResourceDefinitionVersion, path: string): FieldError[] {
  const errs = dns1035(`${path}.name`, v.name, true);
  const schemaPath = `${path}.schema.openAPIV3Schema`;
  if (!v.schema?.openAPIV3Schema) errs.push(fieldRequired(schemaPath, "schemas are required"));
  else errs.push(...validateStructuralSchema(v.schema.openAPIV3Schema, schemaPath));
  errs.push(...validateColumns(v.additionalPrinterColumns ?? [], `${path}.additionalPrinterColumns`));
  const selectable = v.selectableFields ?? [];
  if (selectable.length > 8) errs.push(fieldTooMany(`${path}.selectableFields`, selectable.length, 8));
  selectable.forEach((f, i) => {
    if (!f.jsonPath) errs.push(fieldRequired(`${path}.selectableFields[${i}].jsonPath`));
    else if (!validJsonPath(f.jsonPath))
      errs.push(
        fieldInvalid(
          `${path}.selectableFields[${i}].jsonPath`,
          f.jsonPath,
          "must be a simple json path starting with .",
        ),
      );
  });
  const scale = v.subresources?.scale;
  if (scale) {
    const p = `${path}.subresources.scale`;
    errs.push(
      ...validateScalePath(`${p}.specReplicasPath`, scale.specReplicasPath, [".spec"], true),
      ...validateScalePath(`${p}.statusReplicasPath`, scale.statusReplicasPath, [".status"], true),
      ...validateScalePath(`${p}.labelSelectorPath`, scale.labelSelectorPath, [".spec", ".status"], false),
    );
  }
  return errs;
}

/** Errors of a CRD as created (the API server answers 422 with them as causes). */
export function validateCustomResourceDefinition(crd: CustomResourceDefinition): FieldError[] {
  const spec = crd.spec ?? ({} as CustomResourceDefinition["spec"]);
  const errs: FieldError[] = [];
  if (!spec.group) errs.push(fieldRequired("spec.group"));
  else if (!DNS1123_SUBDOMAIN.test(spec.group) || spec.group.length > 253)
    errs.push(
      fieldInvalid(
        "spec.group",
        spec.group,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      ),
    );
  else if (!spec.group.includes("."))
    errs.push(fieldInvalid("spec.group", spec.group, "should be a domain with at least one dot"));
  const want = `${spec.names?.plural}.${spec.group}`;
  if (spec.group && spec.names?.plural && crd.metadata?.name !== want)
    errs.push(fieldInvalid("metadata.name", crd.metadata?.name ?? "", `must be spec.names.plural+"."+spec.group`));
  errs.push(...validateNames(crd));
  if (!spec.scope) errs.push(fieldRequired("spec.scope"));
  else if (spec.scope !== "Cluster" && spec.scope !== "Namespaced")
    errs.push(fieldNotSupported("spec.scope", spec.scope, ["Cluster", "Namespaced"]));
  const versions = spec.versions ?? [];
  if (versions.length === 0) errs.push(fieldRequired("spec.versions", "must have at least one version"));
  else {
    const storage = versions.filter((v) => v.storage).map((v) => v.name);
    if (storage.length !== 1)
      errs.push(fieldInvalid("spec.versions", storage, "must have exactly one version marked as storage version"));
    if (!versions.some((v) => v.served))
      errs.push(
        fieldInvalid(
          "spec.versions",
          versions.map((v) => v.name),
          "must have at least one version marked as served",
        ),
      );
    const seen = new Set<string>();
    versions.forEach((v, i) => {
      if (seen.has(v.name)) errs.push(fieldDuplicate(`spec.versions[${i}].name`, v.name));
      seen.add(v.name);
      errs.push(...validateVersion(v, `spec.versions[${i}]`));
    });
  }
  const strategy = spec.conversion?.strategy;
  if (strategy && strategy !== "None" && strategy !== "Webhook")
    errs.push(fieldNotSupported("spec.conversion.strategy", strategy, ["None", "Webhook"]));
  if (spec.preserveUnknownFields)
    errs.push(fieldInvalid("spec.preserveUnknownFields", true, "must be false in order to use defaults in the schema"));
  return errs;
}

/** Errors of an update: those of the new object plus what may not change. */
export function validateCustomResourceDefinitionUpdate(
  crd: CustomResourceDefinition,
  old: CustomResourceDefinition,
): FieldError[] {
  return [...validateCustomResourceDefinition(crd), ...validateCustomResourceDefinitionChange(crd, old)];
}

/** Only what an update may not change (for callers that validate the new object on their own). */
export function validateCustomResourceDefinitionChange(
  crd: CustomResourceDefinition,
  old: CustomResourceDefinition,
): FieldError[] {
  const errs: FieldError[] = [];
  if (old.spec?.scope && crd.spec?.scope !== old.spec.scope)
    errs.push(fieldInvalid("spec.scope", crd.spec?.scope, "field is immutable"));
  if (old.spec?.group && crd.spec?.group !== old.spec.group)
    errs.push(fieldInvalid("spec.group", crd.spec?.group, "field is immutable"));
  const names = new Set((crd.spec?.versions ?? []).map((v) => v.name));
  (crd.status?.storedVersions ?? []).forEach((v, i) => {
    if (!names.has(v)) errs.push(fieldInvalid(`status.storedVersions[${i}]`, v, "must appear in spec.versions"));
  });
  return errs;
}
