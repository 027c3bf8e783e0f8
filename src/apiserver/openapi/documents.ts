// Builds the OpenAPI documents from the served resources and the Established CRDs: one Swagger 2.0 document
// (/openapi/v2) and one OpenAPI 3.0 document per group-version (/openapi/v3/apis/<group>/<version>).

import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import { crdDefinitions, crdResources, toSwagger2Schema } from "./crd-schemas.ts";
import {
  builtinDefinitions,
  definitionNameFor,
  type GroupVersionKind,
  gvkKey,
  mapSubschemas,
  type Schema,
} from "./definitions.ts";
import { resourcePaths, type ServedResource } from "./paths.ts";

const meta = "io.k8s.apimachinery.pkg.apis.meta.v1";
/** meta/v1 types the paths refer to; they carry no group-version-kind of their own. */
const metaKinds: Record<string, string> = {
  Status: `${meta}.Status`,
  DeleteOptions: `${meta}.DeleteOptions`,
  Patch: `${meta}.Patch`,
};

/** Upstream's v3 documents give the two union types oneOf instead of a type (explain then shows their names). */
const v3OneOf: Record<string, Schema[]> = {
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": [{ type: "integer" }, { type: "string" }],
  "io.k8s.apimachinery.pkg.api.resource.Quantity": [{ type: "string" }, { type: "number" }],
};

const info = { title: "Kubernetes", version: "v1.32.0" };

/** "api/v1" or "apis/<group>/<version>": the key of a group-version in the v3 index. */
export const groupVersionPath = (group: string, version: string) =>
  group ? `apis/${group}/${version}` : `api/${version}`;

/** Definitions and kinds of the current set of resources: built-ins plus the given CRDs. */
export class OpenApiModel {
  readonly definitions: Record<string, Schema>;
  readonly resources: ServedResource[];
  private readonly names = new Map<string, string>();

  constructor(builtins: ServedResource[], crds: CustomResourceDefinition[]) {
    this.definitions = { ...builtinDefinitions };
    for (const crd of crds) Object.assign(this.definitions, crdDefinitions(crd));
    for (const [name, def] of Object.entries(this.definitions)) {
      for (const gvk of (def["x-kubernetes-group-version-kind"] as GroupVersionKind[] | undefined) ?? [])
        this.names.set(gvkKey(gvk), name);
    }
    // A resource without a schema (a custom resource whose CRD is not given) is left out, never a 500.
    const known = builtins.filter((r) => this.names.has(gvkKey(r)) || definitionNameFor(r));
    const custom = crds.flatMap(crdResources).filter((r) => !known.some((k) => gvkKey(k) === gvkKey(r)));
    this.resources = [...known, ...custom];
  }

  definitionName(gvk: GroupVersionKind): string {
    const name = this.names.get(gvkKey(gvk)) ?? definitionNameFor(gvk);
    if (name) return name;
    if (gvk.group === "" && metaKinds[gvk.kind]) return metaKinds[gvk.kind];
    throw new Error(`openapi: no schema for ${gvkKey(gvk)}`);
  }

  /** The group-versions served, as v3 index keys. */
  groupVersions(): string[] {
    return [...new Set(this.resources.map((r) => groupVersionPath(r.group, r.version)))].sort();
  }

  swagger2(): Record<string, unknown> {
    const refFor = (gvk: GroupVersionKind) => ({
      $ref: `#/definitions/${this.definitionName(gvk)}`,
    });
    const paths: Record<string, unknown> = {};
    for (const r of this.resources) Object.assign(paths, resourcePaths("v2", r, refFor));
    const definitions = Object.fromEntries(
      Object.entries(this.definitions).map(([name, def]) => [name, toSwagger2Schema(def)]),
    );
    return { swagger: "2.0", info, paths, definitions };
  }

  /** The v3 document of one group-version ("apis/apps/v1"), or undefined if nothing is served there. */
  openapi3(gvPath: string): Record<string, unknown> | undefined {
    const served = this.resources.filter((r) => groupVersionPath(r.group, r.version) === gvPath);
    if (served.length === 0) return undefined;
    const refFor = (gvk: GroupVersionKind) => ({
      $ref: `#/components/schemas/${this.definitionName(gvk)}`,
    });
    const paths: Record<string, unknown> = {};
    for (const r of served) Object.assign(paths, resourcePaths("v3", r, refFor));
    // Every kind of the group-version, even those without a path of their own (e.g. Scale, TokenReview lists).
    const roots = served.map((r) => this.definitionName(r));
    const schemas: Record<string, Schema> = {};
    for (const name of this.closure(roots, paths)) {
      const { type, ...rest } = toOpenApi3(this.definitions[name]);
      schemas[name] = v3OneOf[name] ? { ...rest, oneOf: v3OneOf[name] } : { type, ...rest };
    }
    return { openapi: "3.0.0", info, paths, components: { schemas } };
  }

  /** Names of the definitions reachable from `roots` and from the refs inside `extra`. */
  private closure(roots: string[], extra: unknown): string[] {
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name) || !this.definitions[name]) return;
      seen.add(name);
      collectRefs(this.definitions[name], visit);
    };
    for (const name of roots) visit(name);
    collectRefs(extra, visit);
    return [...seen].sort();
  }
}

function collectRefs(value: unknown, visit: (name: string) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, visit);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") visit(v.slice(v.lastIndexOf("/") + 1));
      else collectRefs(v, visit);
    }
  }
}

/**
 * A definition in OpenAPI 3 form, as upstream writes it: refs point into components.schemas, and a ref with
 * siblings (a description) becomes `allOf: [{$ref}]` because OpenAPI 3.0 ignores a ref's siblings.
 */
export function toOpenApi3(schema: Schema): Schema {
  const { $ref, ...rest } = mapSubschemas(schema, toOpenApi3);
  if (typeof $ref !== "string") return rest;
  const ref = $ref.replace("#/definitions/", "#/components/schemas/");
  return Object.keys(rest).length === 0 ? { $ref: ref } : { ...rest, allOf: [{ $ref: ref }] };
}
