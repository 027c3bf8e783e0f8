// The RBAC objects the server creates on first start (and re-applies when they carry the autoupdate annotation):
// upstream's default ClusterRoles and bindings plus one role per k3lite controller, with aggregated rules filled
// in so admin/edit/view work before any aggregation controller runs.
import type { ClusterRoleBinding, Subject } from "kubernetes-types/rbac/v1";
import type { KubeObject, UserInfo } from "../../api/types.ts";
import { resolveAggregation } from "./aggregation.ts";
import { bootstrapClusterRoles } from "./bootstrap-roles.ts";
import { controllerClusterRoleBindings, controllerClusterRoles } from "./controller-roles.ts";

const group = (name: string): Subject => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name });
const user = (name: string): Subject => ({ apiGroup: "rbac.authorization.k8s.io", kind: "User", name });
const serviceAccount = (namespace: string, name: string): Subject => ({ kind: "ServiceAccount", name, namespace });

/** Identities of built-in components other than controllers (see controllerUser for those). */
export const SCHEDULER_USER: UserInfo = { username: "system:kube-scheduler", groups: ["system:authenticated"] };
/**
 * The server node's Ingress reads certificate Secrets as this user (Traefik's service account in k3s can too); the
 * node identity cannot, so a worker node's agent never holds the cluster's Secrets.
 */
export const INGRESS_USER: UserInfo = { username: "system:k3lite-ingress", groups: ["system:authenticated"] };
export const CONTROLLER_MANAGER_USER: UserInfo = {
  username: "system:kube-controller-manager",
  groups: ["system:authenticated"],
};
export const ADMIN_USER: UserInfo = { username: "system:admin", groups: ["system:masters", "system:authenticated"] };
/** What the API server itself acts as for its own writes (bootstrap objects, TokenRequest lookups). */
export const APISERVER_USER: UserInfo = {
  username: "system:apiserver",
  groups: ["system:masters", "system:authenticated"],
};
export function nodeUser(nodeName: string): UserInfo {
  return { username: `system:node:${nodeName}`, groups: ["system:nodes", "system:authenticated"] };
}

function binding(role: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: {
      name: role,
      labels: { "kubernetes.io/bootstrapping": "rbac-defaults" },
      annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
    },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects,
  };
}

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    binding("cluster-admin", [group("system:masters")]),
    binding("system:discovery", [group("system:authenticated")]),
    binding("system:basic-user", [group("system:authenticated")]),
    binding("system:public-info-viewer", [group("system:authenticated"), group("system:unauthenticated")]),
    binding("system:monitoring", [group("system:monitoring")]),
    // Upstream leaves system:node unbound (the Node authorizer applies it); keep the object for visibility.
    binding("system:node", []),
    // k3lite's agent runs the service proxy, DNS and network policy with its node identity.
    binding("system:node-proxier", [user("system:kube-proxy"), group("system:nodes")]),
    binding("system:node-bootstrapper", [group("system:bootstrappers")]),
    binding("system:kube-scheduler", [user(SCHEDULER_USER.username)]),
    binding("system:volume-scheduler", [user(SCHEDULER_USER.username)]),
    binding("system:kube-controller-manager", [user(CONTROLLER_MANAGER_USER.username)]),
    binding("system:kube-dns", [serviceAccount("kube-system", "kube-dns")]),
    binding("system:k3lite-ingress", [user(INGRESS_USER.username)]),
    binding("system:coredns", [serviceAccount("kube-system", "coredns")]),
    binding("system:service-account-issuer-discovery", [group("system:serviceaccounts")]),
    ...controllerClusterRoleBindings(),
  ];
}

/** Everything to create on first start, ClusterRoles before the bindings that reference them. */
export function bootstrapRbacObjects(): KubeObject[] {
  const roles = resolveAggregation([...bootstrapClusterRoles(), ...controllerClusterRoles()]);
  return [...roles, ...bootstrapClusterRoleBindings()];
}
