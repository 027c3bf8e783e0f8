// Test fixtures: the CronTab CRD of upstream's documentation and its objects, built so each test states only
// what it varies (versions, schema, extra names or metadata).

import type {
  CustomResourceDefinition,
  CustomResourceDefinitionNames,
  CustomResourceDefinitionVersion,
} from "kubernetes-types/apiextensions/v1";
import type { ObjectMeta } from "kubernetes-types/meta/v1";

/** A served storage version "v1" with `schema` as its openAPIV3Schema (extensions allowed, hence `object`). */
export function crontabVersion(
  schema: object | undefined,
  extra: Partial<CustomResourceDefinitionVersion> = {},
): CustomResourceDefinitionVersion {
  return {
    name: "v1",
    served: true,
    storage: true,
    ...(schema ? { schema: { openAPIV3Schema: schema } } : {}),
    ...extra,
  };
}

export function crontabCrd(
  versions: CustomResourceDefinitionVersion[],
  names: Partial<CustomResourceDefinitionNames> = {},
  metadata: ObjectMeta = {},
): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "crontabs.stable.example.com", ...metadata },
    spec: {
      group: "stable.example.com",
      scope: "Namespaced",
      names: {
        plural: "crontabs",
        singular: "crontab",
        kind: "CronTab",
        shortNames: ["ct"],
        ...names,
      },
      versions,
    },
  };
}

/** A CronTab object in namespace default. */
export function crontab(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: "stable.example.com/v1",
    kind: "CronTab",
    metadata: { name, namespace: "default" },
    spec,
  };
}
