// Routes served beside the Kubernetes REST API: OpenAPI v2/v3 (from the resource descriptors and the CRDs),
// and the join endpoints agents use (/cacerts, node certificates).

import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import type { Secret } from "../api/types.ts";
import type { ApiServer } from "../apiserver/app.ts";
import { ObjectCache } from "../apiserver/cache.ts";
import { inProcessTransport } from "../apiserver/in-process.ts";
import { servedResourcesOf } from "../apiserver/openapi/from-descriptors.ts";
import { createOpenApiRoutes } from "../apiserver/openapi/routes.ts";
import { objectKey } from "../apiserver/storage.ts";
import { BOOTSTRAP_TOKEN_NAMESPACE } from "../auth/bootstrap-token.ts";
import { createJoinRoutes } from "../auth/join-routes.ts";
import { NODE_PASSWORD_NAMESPACE, type NodePasswordStore, nodePasswordSecretName } from "../auth/node-password.ts";
import type { ServerPki } from "../auth/pki.ts";
import { createAuthRateLimiter } from "../auth/ratelimit.ts";
import { APISERVER_USER } from "../auth/rbac/bootstrap-policy.ts";
import { createClient, isNotFound } from "../client/client.ts";

export async function mountExtras(api: ApiServer, pki: ServerPki, serverToken: () => string): Promise<() => void> {
  // Built-ins only: custom resources have no generated definition and come through the CRD list instead.
  const builtins = servedResourcesOf(api.registry.all());
  const crds = await ObjectCache.start<CustomResourceDefinition & { metadata: object }>(
    api.storage,
    api.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")!,
  );
  api.mount(
    "/openapi",
    createOpenApiRoutes({
      resources: () => builtins,
      customResourceDefinitions: () => crds.list() as CustomResourceDefinition[],
    }),
  );
  const secrets = api.registry.get("", "v1", "secrets")!;
  const join = createJoinRoutes({
    pki,
    serverToken,
    bootstrapTokenSecret: async (id) => {
      const kv = await api.storage.store.get(objectKey(secrets, BOOTSTRAP_TOKEN_NAMESPACE, `bootstrap-token-${id}`));
      return kv ? (api.storage.decode(kv) as Secret) : undefined;
    },
    rateLimiter: createAuthRateLimiter(),
    nodePasswords: nodePasswordStore(api),
  });
  api.mount("/cacerts", join);
  api.mount("/v1-k3lite", join);
  return () => crds.stop();
}

/** Node passwords as k3s keeps them: Secrets <node>.node-password.k3lite in kube-system, written by the API server. */
function nodePasswordStore(api: ApiServer): NodePasswordStore {
  const client = createClient(inProcessTransport(api.app, APISERVER_USER), { userAgent: "k3lite/join" });
  const ref = { group: "", version: "v1", resource: "secrets", namespace: NODE_PASSWORD_NAMESPACE };
  return {
    get: (nodeName) =>
      client
        .get<Secret>(ref, nodePasswordSecretName(nodeName))
        .catch((err) => (isNotFound(err) ? undefined : Promise.reject(err))),
    create: async (secret) => {
      await client.create(ref, secret);
    },
  };
}
