// What an Established CustomResourceDefinition adds to the OpenAPI documents: a definition per served version
// (and its list), named as upstream does ("com.example.stable.v1.CronTab"), and the resources for the paths.

import type { CustomResourceDefinition, JSONSchemaProps } from "kubernetes-types/apiextensions/v1";
import { mapSubschemas, type Schema } from "./definitions.ts";
import type { ServedResource } from "./paths.ts";

const meta = "io.k8s.apimachinery.pkg.apis.meta.v1";
const apiVersionDoc =
  "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const kindDoc =
  "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/** "stable.example.com", "v1", "CronTab" → "com.example.stable.v1.CronTab". */
export function crdDefinitionName(group: string, version: string, kind: string): string {
  return [...group.split(".").reverse(), version, kind].join(".");
}

const servedVersions = (crd: CustomResourceDefinition) => crd.spec.versions.filter((v) => v.served);

/** The resources a CRD serves, one per served version. */
export function crdResources(crd: CustomResourceDefinition): ServedResource[] {
  const { group, names, scope } = crd.spec;
  return servedVersions(crd).map((v) => ({
    group,
    version: v.name,
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
    resource: names.plural,
    namespaced: scope === "Namespaced",
    verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
    subresources: [...(v.subresources?.status ? ["status"] : []), ...(v.subresources?.scale ? ["scale"] : [])],
  }));
}

/** Definitions (Swagger-2 style refs) for every served version of a CRD and its list kind. */
export function crdDefinitions(crd: CustomResourceDefinition): Record<string, Schema> {
  const { group, names } = crd.spec;
  const listKind = names.listKind ?? `${names.kind}List`;
  const out: Record<string, Schema> = {};
  for (const v of servedVersions(crd)) {
    const name = crdDefinitionName(group, v.name, names.kind);
    const schema = (v.schema?.openAPIV3Schema ?? {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    }) as Schema;
    out[name] = {
      ...schema,
      type: "object",
      properties: {
        ...schema.properties,
        apiVersion: { description: apiVersionDoc, type: "string" },
        kind: { description: kindDoc, type: "string" },
        metadata: {
          $ref: `#/definitions/${meta}.ObjectMeta`,
          description:
            "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        },
      },
      "x-kubernetes-group-version-kind": [{ group, kind: names.kind, version: v.name }],
    };
    out[crdDefinitionName(group, v.name, listKind)] = {
      description: `${listKind} is a list of ${names.kind}`,
      type: "object",
      required: ["items"],
      properties: {
        apiVersion: { description: apiVersionDoc, type: "string" },
        items: {
          description: `List of ${names.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
          type: "array",
          items: { $ref: `#/definitions/${name}` },
        },
        kind: { description: kindDoc, type: "string" },
        metadata: {
          $ref: `#/definitions/${meta}.ListMeta`,
          description: "Standard list metadata.",
        },
      },
      "x-kubernetes-group-version-kind": [{ group, kind: listKind, version: v.name }],
    };
  }
  return out;
}

/** Swagger 2.0 cannot say what these OpenAPI 3 keywords say; upstream drops them from the v2 document. */
const v3Only = new Set(["nullable", "oneOf", "anyOf", "not", "x-kubernetes-validations"]);

/** A CRD schema as the v2 document carries it. */
export function toSwagger2Schema(schema: JSONSchemaProps | Schema): Schema {
  const out = mapSubschemas(schema as Schema, toSwagger2Schema);
  for (const k of v3Only) delete out[k];
  // int-or-string values have no single v2 type
  if (out["x-kubernetes-int-or-string"]) delete out.type;
  return out;
}
