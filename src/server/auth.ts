// Wires the auth component into the API server: the authentication chain (client certificates, ServiceAccount
// and bootstrap tokens) and the authorization chain (system:masters, Node, RBAC), both reading the objects they
// need from live caches of the datastore rather than from the store on every request.

import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "kubernetes-types/rbac/v1";
import type { KubeObject, Node, PersistentVolumeClaim, Pod, Secret, ServiceAccount } from "../api/types.ts";
import type { ApiServer } from "../apiserver/app.ts";
import { ObjectCache } from "../apiserver/cache.ts";
import { StatusError } from "../apiserver/errors.ts";
import type { AdmissionRequest } from "../apiserver/rest/context.ts";
import { objectKey } from "../apiserver/storage.ts";
import { createAuthenticator } from "../auth/authenticate.ts";
import { createAuthorizer, PRIVILEGED_GROUP } from "../auth/authorize.ts";
import type { ServerPki } from "../auth/pki.ts";
import { createAuthRateLimiter } from "../auth/ratelimit.ts";
import { checkRbacEscalation } from "../auth/rbac/escalation-check.ts";
import { DEFAULT_SERVICE_ACCOUNT_ISSUER } from "../auth/serviceaccount-token.ts";
import { tokenRequestHandler } from "../auth/token-request-route.ts";
import type { ServerConfig } from "./config.ts";

export interface AuthCaches {
  stop(): void;
}

export async function wireAuth(api: ApiServer, pki: ServerPki, _config: ServerConfig): Promise<AuthCaches> {
  const cache = async <T extends KubeObject>(group: string, plural: string) =>
    ObjectCache.start<T>(api.storage, api.registry.get(group, "v1", plural)!);
  const rbacGroup = "rbac.authorization.k8s.io";
  const [roles, roleBindings, clusterRoles, clusterRoleBindings, pods, pvcs, secrets, serviceAccounts] =
    await Promise.all([
      cache<Role>(rbacGroup, "roles"),
      cache<RoleBinding>(rbacGroup, "rolebindings"),
      cache<ClusterRole>(rbacGroup, "clusterroles"),
      cache<ClusterRoleBinding>(rbacGroup, "clusterrolebindings"),
      cache<Pod>("", "pods"),
      cache<PersistentVolumeClaim>("", "persistentvolumeclaims"),
      cache<Secret>("", "secrets"),
      cache<ServiceAccount>("", "serviceaccounts"),
    ]);
  const all = [roles, roleBindings, clusterRoles, clusterRoleBindings, pods, pvcs, secrets, serviceAccounts];

  const authenticator = createAuthenticator({
    clientCaPem: pki.clientCaCertPem,
    saVerifyKeyPem: pki.saVerifyKeyPem,
    lookup: {
      serviceAccount: async (ns, name) => serviceAccounts.get(ns, name),
      secret: async (ns, name) => secrets.get(ns, name),
      pod: async (ns, name) => pods.get(ns, name),
    },
    rateLimiter: createAuthRateLimiter(),
  });
  const rbac = {
    listRoleBindings: (ns: string) => roleBindings.list(ns),
    listClusterRoleBindings: () => clusterRoleBindings.list(),
    getRole: (ns: string, name: string) => roles.get(ns, name),
    getClusterRole: (name: string) => clusterRoles.get(undefined, name),
    listClusterRoles: () => clusterRoles.list(),
    version: () =>
      roles.generation + roleBindings.generation + clusterRoles.generation + clusterRoleBindings.generation,
  };
  const authorizer = createAuthorizer({
    rbac,
    nodeGraph: {
      listPodsOnNode: (node) => pods.list().filter((p) => p.spec?.nodeName === node),
      getPod: (ns, name) => pods.get(ns, name),
      getPersistentVolumeClaim: (ns, name) => pvcs.get(ns, name),
    },
  });
  api.subresources.set(
    "serviceaccounts/token",
    tokenRequestHandler({
      signingKeyPem: pki.saSigningKeyPem,
      apiAudiences: [DEFAULT_SERVICE_ACCOUNT_ISSUER],
      lookup: {
        serviceAccount: async (ns, name) => serviceAccounts.get(ns, name),
        pod: async (ns, name) => pods.get(ns, name),
        secret: async (ns, name) => secrets.get(ns, name),
        node: async (name) => {
          const d = api.registry.get("", "v1", "nodes");
          const kv = d && (await api.storage.store.get(objectKey(d, undefined, name)));
          return kv ? (api.storage.decode(kv) as Node) : undefined;
        },
      },
    }),
  );
  api.setAuth({
    authenticate: (input) => authenticator.authenticate(input),
    authenticateToken: (token, audiences) => authenticator.authenticateToken(token, audiences),
    authorizer,
  });
  api.context.admit = async (request) => admitRbacEscalation({ ...authorizer, ...rbac }, request);
  return {
    stop: () => {
      for (const c of all) c.stop();
    },
  };
}

/** Upstream's RBAC storage check: roles and bindings may grant only what their writer already holds. */
async function admitRbacEscalation(
  deps: Parameters<typeof checkRbacEscalation>[0],
  request: AdmissionRequest,
): Promise<void> {
  if (request.descriptor.group !== "rbac.authorization.k8s.io" || request.user.groups.includes(PRIVILEGED_GROUP))
    return;
  const verdict = await checkRbacEscalation(deps, request.user, request.obj);
  if (verdict.allowed) return;
  const { group, plural } = request.descriptor;
  const name = request.obj.metadata?.name ?? "";
  const reason = verdict.code === 404 ? "NotFound" : "Forbidden";
  throw new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: verdict.message,
    reason,
    code: verdict.code,
    details: { name, group, kind: plural },
  });
}
