// Turns an Established CustomResourceDefinition into resource descriptors (one per served version) that the
// generic REST code serves like any built-in: schema pruning and defaulting, schema validation, status/scale
// subresources and printer columns. Exports: `crdToResourceDescriptors(crd)`, `unknownFields(desc, obj)`,
// `crdSchemaOf(desc)`, `preferredVersion(crd)`.

import type { CustomResourceDefinition, CustomResourceDefinitionVersion } from "kubernetes-types/apiextensions/v1";
import type { KubeObject } from "../../api/types.ts";
import { unknownBuiltinFields, unknownFieldsOfDefinition } from "../openapi/unknown-fields.ts";
import { ALL_VERBS, type ResourceDescriptor } from "../resources/types.ts";
import { defaultedNames } from "./conditions.ts";
import { evaluateJsonPath } from "./jsonpath.ts";
import { printerColumns } from "./printer-columns.ts";
import { applyDefaults } from "./schema/defaults.ts";
import { pruneUnknownFields } from "./schema/prune.ts";
import type { CrdSchema } from "./schema/types.ts";
import { validateCustomResource } from "./schema/validate.ts";

/** The schema behind each custom resource descriptor, for unknownFields. */
const schemas = new WeakMap<ResourceDescriptor, CrdSchema>();

const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

const fieldPath = (jsonPath: string) => jsonPath.replace(/^\./, "");

const preserveAll: CrdSchema = {
  type: "object",
  "x-kubernetes-preserve-unknown-fields": true,
};

/** spec.versions[].selectableFields: field selectors by JSONPath ("spec.color" for ".spec.color"). */
function selectableFields(v: CustomResourceDefinitionVersion): ResourceDescriptor["fields"] {
  const selectable = v.selectableFields ?? [];
  if (selectable.length === 0) return undefined;
  return (obj) =>
    Object.fromEntries(
      selectable.map((f) => {
        const value = evaluateJsonPath(obj, f.jsonPath)[0];
        return [fieldPath(f.jsonPath), value === undefined || value === null ? undefined : String(value)];
      }),
    );
}

function versionDescriptor(crd: CustomResourceDefinition, v: CustomResourceDefinitionVersion): ResourceDescriptor {
  const names = defaultedNames(crd.spec.names);
  const schema = (v.schema?.openAPIV3Schema as CrdSchema | undefined) ?? preserveAll;
  const scale = v.subresources?.scale;
  const descriptor: ResourceDescriptor = {
    group: crd.spec.group,
    version: v.name,
    kind: names.kind,
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    listKind: names.listKind,
    namespaced: crd.spec.scope === "Namespaced",
    shortNames: names.shortNames,
    categories: names.categories,
    verbs: ALL_VERBS,
    status: !!v.subresources?.status,
    // CRDs write JSON paths (".spec.replicas"); the scale handler walks dotted field paths ("spec.replicas")
    scale: scale
      ? {
          specReplicasPath: fieldPath(scale.specReplicasPath),
          statusReplicasPath: fieldPath(scale.statusReplicasPath),
          labelSelectorPath: scale.labelSelectorPath ? fieldPath(scale.labelSelectorPath) : undefined,
        }
      : undefined,
    // Custom resources bump metadata.generation on any change outside metadata (and status, with the subresource).
    generation: true,
    // Upstream prunes and defaults on every write (and on read; stored objects were written that way).
    defaults(obj: KubeObject) {
      pruneUnknownFields(obj, schema);
      applyDefaults(obj, schema);
    },
    validate: (obj: KubeObject) => validateCustomResource(obj, schema),
    validateUpdate: (obj: KubeObject) => validateCustomResource(obj, schema),
    columns: printerColumns(v),
    fields: selectableFields(v),
  };
  schemas.set(descriptor, schema);
  // custom/schema: what the patch code's KindInfo reads (src/apiserver/patch/patcher.ts): no strategic merge for custom
  // resources, and server-side apply's list types from the schema.
  // storageVersion: where conversion.ts stores objects of every served version.
  const storageVersion = crd.spec.versions.find((sv) => sv.storage)?.name ?? v.name;
  return Object.assign(descriptor, { custom: true, schema, storageVersion });
}

/** Descriptors for every served version of a CRD (the caller decides it is Established; see isEstablished). */
export function crdToResourceDescriptors(crd: CustomResourceDefinition): ResourceDescriptor[] {
  return crd.spec.versions.filter((v) => v.served).map((v) => versionDescriptor(crd, v));
}

/** The version clients get when they do not ask (discovery's preferred version), as upstream orders them. */
export function preferredVersion(crd: CustomResourceDefinition): string | undefined {
  return sortVersionsByKubeAwareness(crd.spec.versions.filter((v) => v.served).map((v) => v.name))[0];
}

/** Upstream's version priority: GA before beta before alpha, higher numbers first, others last alphabetically. */
export function sortVersionsByKubeAwareness(versions: string[]): string[] {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === "alpha" ? 2 : m[2] === "beta" ? 1 : 0;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  return [...versions].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
    return ra[3].localeCompare(rb[3]);
  });
}

/** The openAPIV3Schema behind a custom resource descriptor (e.g. for server-side apply's list types); undefined for built-ins. */
export function crdSchemaOf(descriptor: ResourceDescriptor): CrdSchema | undefined {
  return schemas.get(descriptor);
}

/**
 * Fields of `obj` its type's schema does not declare, for fieldValidation=Strict/Warn, removed from `obj` as
 * upstream's decoding drops them: custom resources by their CRD schema (pruning) and ObjectMeta, built-ins by
 * the generated OpenAPI schemas. Plug in as ApiContext.unknownFields.
 */
export function unknownFields(descriptor: ResourceDescriptor, obj: KubeObject): string[] {
  const schema = schemas.get(descriptor);
  const gvk = {
    group: descriptor.group,
    version: descriptor.version,
    kind: descriptor.kind,
  };
  if (!schema) return unknownBuiltinFields(gvk, obj, true);
  // metadata is ObjectMeta whatever the CRD's schema says
  const meta = unknownFieldsOfDefinition(OBJECT_META, obj.metadata, "metadata", true);
  return [...meta, ...pruneUnknownFields(obj, schema)];
}
