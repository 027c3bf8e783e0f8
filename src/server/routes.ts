// Routes served beside the Kubernetes REST API: OpenAPI v2/v3 (from the resource descriptors and the CRDs),
// and the join endpoints agents use (/cacerts, node certificates).

import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import type { Secret } from "../api/types.ts";
import type { ApiServer } from "../apiserver/app.ts";
import { ObjectCache } from "../apiserver/cache.ts";
import { createOpenApiRoutes, type ServedResource } from "../apiserver/openapi/routes.ts";
import { verbsOf } from "../apiserver/registry.ts";
import { BOOTSTRAP_TOKEN_NAMESPACE } from "../auth/bootstrap-token.ts";
import { createJoinRoutes } from "../auth/join-routes.ts";
import type { ServerPki } from "../auth/pki.ts";
import { objectKey } from "../apiserver/storage.ts";

export async function mountExtras(api: ApiServer, pki: ServerPki, serverToken: () => string): Promise<() => void> {
  const builtins: ServedResource[] = api.registry
    .all()
    .filter((d) => !d.virtual || d.verbs?.includes("create"))
    .map((d) => ({
      group: d.group,
      version: d.version,
      kind: d.kind,
      resource: d.plural,
      namespaced: d.namespaced,
      verbs: verbsOf(d),
      subresources: [d.status ? "status" : "", d.scale ? "scale" : ""].filter(Boolean),
      listKind: d.listKind,
    }));
  const crds = await ObjectCache.start<CustomResourceDefinition & { metadata: object }>(
    api.storage,
    api.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")!,
  );
  api.mount(
    "/openapi",
    createOpenApiRoutes({ resources: () => builtins, customResourceDefinitions: () => crds.list() as CustomResourceDefinition[] }),
  );
  const secrets = api.registry.get("", "v1", "secrets")!;
  const join = createJoinRoutes({
    pki,
    serverToken,
    bootstrapTokenSecret: async (id) => {
      const kv = await api.storage.store.get(objectKey(secrets, BOOTSTRAP_TOKEN_NAMESPACE, `bootstrap-token-${id}`));
      return kv ? (api.storage.decode(kv) as Secret) : undefined;
    },
  });
  api.mount("/cacerts", join);
  api.mount("/v1-k3lite", join);
  return () => crds.stop();
}
