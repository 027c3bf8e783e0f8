// Adapts the API server's resource descriptors to what the OpenAPI paths are built from. Exports:
// `servedResourcesOf(descriptors)` — pass the built-in descriptors (CRDs come through the CRD list instead).

import { ALL_VERBS, type ResourceDescriptor } from "../resources/types.ts";
import { definitionNameFor } from "./definitions.ts";
import type { ServedResource } from "./paths.ts";

/** The descriptors that have a generated schema, as ServedResources (others are left out of the documents). */
export function servedResourcesOf(descriptors: ResourceDescriptor[]): ServedResource[] {
  return descriptors
    .filter((d) => definitionNameFor({ group: d.group, version: d.version, kind: d.kind }))
    .map((d) => ({
      group: d.group,
      version: d.version,
      kind: d.kind,
      resource: d.plural,
      namespaced: d.namespaced,
      verbs: d.verbs ?? ALL_VERBS,
      listKind: d.listKind,
      subresources: [...(d.status ? ["status"] : []), ...(d.scale ? ["scale"] : [])],
    }));
}
