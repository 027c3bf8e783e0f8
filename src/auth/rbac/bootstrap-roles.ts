// Upstream's default ClusterRoles (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go) as data: the
// user-facing roles with their aggregation labels, discovery, and the roles of k3lite's built-in components.
import type { ClusterRole, PolicyRule } from "kubernetes-types/rbac/v1";
import { nonResourceRule, READ, READ_WRITE, rule, WRITE } from "./rules.ts";

export const AGGREGATE_TO = (role: "admin" | "edit" | "view") => `rbac.authorization.k8s.io/aggregate-to-${role}`;
const BOOTSTRAP_LABELS = { "kubernetes.io/bootstrapping": "rbac-defaults" };
const AUTOUPDATE = { "rbac.authorization.kubernetes.io/autoupdate": "true" };

export function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}): ClusterRole {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...labels }, annotations: { ...AUTOUPDATE } },
    rules,
  };
}

function aggregatedRole(name: string, aggregateFrom: string[], labels: Record<string, string> = {}): ClusterRole {
  return {
    ...clusterRole(name, [], labels),
    aggregationRule: { clusterRoleSelectors: aggregateFrom.map((label) => ({ matchLabels: { [label]: "true" } })) },
  };
}

export const eventsRule = rule(["create", "update", "patch"], ["", "events.k8s.io"], ["events"]);

const viewRules: PolicyRule[] = [
  rule(
    READ,
    [""],
    [
      "configmaps",
      "endpoints",
      "persistentvolumeclaims",
      "persistentvolumeclaims/status",
      "pods",
      "replicationcontrollers",
      "replicationcontrollers/scale",
      "serviceaccounts",
      "services",
      "services/status",
    ],
  ),
  rule(
    READ,
    [""],
    [
      "bindings",
      "events",
      "limitranges",
      "namespaces/status",
      "pods/log",
      "pods/status",
      "replicationcontrollers/status",
      "resourcequotas",
      "resourcequotas/status",
    ],
  ),
  rule(READ, [""], ["namespaces"]),
  rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
  rule(
    READ,
    ["apps"],
    [
      "controllerrevisions",
      "daemonsets",
      "daemonsets/status",
      "deployments",
      "deployments/scale",
      "deployments/status",
      "replicasets",
      "replicasets/scale",
      "replicasets/status",
      "statefulsets",
      "statefulsets/scale",
      "statefulsets/status",
    ],
  ),
  rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
  rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
  rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
  rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
];

const editRules: PolicyRule[] = [
  rule(READ, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
  rule(["impersonate"], [""], ["serviceaccounts"]),
  rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
  rule(["create"], [""], ["pods/eviction"]),
  rule(
    WRITE,
    [""],
    [
      "configmaps",
      "events",
      "persistentvolumeclaims",
      "replicationcontrollers",
      "replicationcontrollers/scale",
      "secrets",
      "serviceaccounts",
      "services",
      "services/proxy",
    ],
  ),
  rule(["create"], [""], ["serviceaccounts/token"]),
  rule(
    WRITE,
    ["apps"],
    [
      "daemonsets",
      "deployments",
      "deployments/rollback",
      "deployments/scale",
      "replicasets",
      "replicasets/scale",
      "statefulsets",
      "statefulsets/scale",
    ],
  ),
  rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
  rule(WRITE, ["batch"], ["cronjobs", "jobs"]),
  rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
  rule(WRITE, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
];

const adminRules: PolicyRule[] = [
  rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
  rule(READ_WRITE, ["rbac.authorization.k8s.io"], ["rolebindings", "roles"]),
];

const discoveryUrls = [
  "/api",
  "/api/*",
  "/apis",
  "/apis/*",
  "/healthz",
  "/livez",
  "/openapi",
  "/openapi/*",
  "/readyz",
  "/version",
  "/version/",
];
const publicInfoUrls = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

/** What a kubelet-equivalent agent may do beyond what the Node authorizer decides object by object. */
export const nodeRules: PolicyRule[] = [
  rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
  rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews", "localsubjectaccessreviews"]),
  rule(READ, [""], ["services"]),
  rule(["create", "get", "list", "watch"], [""], ["nodes"]),
  rule(["update", "patch"], [""], ["nodes/status"]),
  rule(["update", "patch"], [""], ["nodes"]),
  eventsRule,
  rule(READ, [""], ["pods"]),
  rule(["create", "delete"], [""], ["pods"]),
  rule(["update", "patch"], [""], ["pods/status"]),
  rule(["create"], [""], ["pods/eviction"]),
  rule(["get"], [""], ["secrets", "configmaps", "persistentvolumeclaims", "persistentvolumes"]),
  rule(["create"], [""], ["serviceaccounts/token"]),
  rule(["get", "update", "patch"], [""], ["persistentvolumeclaims/status"]),
  rule(["get"], ["storage.k8s.io"], ["volumeattachments"]),
  rule(READ, ["storage.k8s.io"], ["csidrivers", "storageclasses"]),
  rule(["get", "create", "update", "patch", "delete"], ["storage.k8s.io"], ["csinodes"]),
  rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
  rule(["get", "create", "update", "patch", "delete"], ["coordination.k8s.io"], ["leases"]),
  rule(READ, ["node.k8s.io"], ["runtimeclasses"]),
];

/** The service proxy, DNS and network policy run in the agent with the node identity (k3s: k3s-controller). */
export const nodeProxierRules: PolicyRule[] = [
  rule(["list", "watch"], [""], ["services", "endpoints"]),
  rule(["get", "list", "watch"], [""], ["nodes"]),
  rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
  rule(["list", "watch"], [""], ["namespaces", "pods"]),
  rule(["list", "watch"], ["networking.k8s.io"], ["networkpolicies", "ingresses"]),
  eventsRule,
];

const schedulerRules: PolicyRule[] = [
  eventsRule,
  rule(["create"], ["coordination.k8s.io"], ["leases"]),
  rule(["get", "update"], ["coordination.k8s.io"], ["leases"], ["kube-scheduler"]),
  rule(["create"], [""], ["endpoints"]),
  rule(["get", "update"], [""], ["endpoints"], ["kube-scheduler"]),
  rule(READ, [""], ["nodes"]),
  rule(["get", "list", "watch", "delete"], [""], ["pods"]),
  rule(["create"], [""], ["bindings", "pods/binding"]),
  rule(["patch", "update"], [""], ["pods/status"]),
  rule(READ, [""], ["replicationcontrollers", "services"]),
  rule(READ, ["apps"], ["replicasets", "statefulsets"]),
  rule(READ, ["policy"], ["poddisruptionbudgets"]),
  rule(READ, [""], ["persistentvolumeclaims", "persistentvolumes"]),
  rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
  rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
  rule(READ, ["storage.k8s.io"], ["csinodes", "csidrivers", "csistoragecapacities", "storageclasses"]),
  rule(READ, ["scheduling.k8s.io"], ["priorityclasses"]),
  rule(READ, [""], ["namespaces"]),
];

const controllerManagerRules: PolicyRule[] = [
  eventsRule,
  rule(["create"], ["coordination.k8s.io"], ["leases"]),
  rule(
    ["get", "update"],
    ["coordination.k8s.io"],
    ["leases"],
    ["kube-controller-manager", "k3lite-controller-manager"],
  ),
  rule(["create"], [""], ["secrets", "serviceaccounts"]),
  rule(["delete"], [""], ["secrets"]),
  rule(["get"], [""], ["configmaps", "namespaces", "secrets", "serviceaccounts"]),
  rule(["update"], [""], ["secrets", "serviceaccounts"]),
  rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
  rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
  rule(["list", "watch"], ["*"], ["*"]),
  rule(["create"], [""], ["serviceaccounts/token"]),
];

export function bootstrapClusterRoles(): ClusterRole[] {
  return [
    clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), nonResourceRule(["*"], ["*"])]),
    aggregatedRole("admin", [AGGREGATE_TO("admin")]),
    aggregatedRole("edit", [AGGREGATE_TO("edit")], { [AGGREGATE_TO("admin")]: "true" }),
    aggregatedRole("view", [AGGREGATE_TO("view")], { [AGGREGATE_TO("edit")]: "true" }),
    clusterRole("system:aggregate-to-admin", adminRules, { [AGGREGATE_TO("admin")]: "true" }),
    clusterRole("system:aggregate-to-edit", editRules, { [AGGREGATE_TO("edit")]: "true" }),
    clusterRole("system:aggregate-to-view", viewRules, { [AGGREGATE_TO("view")]: "true" }),
    // metrics-server's reader role: view/edit/admin may read metrics.k8s.io (`kubectl top`), served in-process here.
    clusterRole("system:aggregated-metrics-reader", [rule(READ, ["metrics.k8s.io"], ["pods", "nodes"])], {
      [AGGREGATE_TO("view")]: "true",
      [AGGREGATE_TO("edit")]: "true",
      [AGGREGATE_TO("admin")]: "true",
    }),
    clusterRole("system:discovery", [nonResourceRule(["get"], discoveryUrls)]),
    clusterRole("system:public-info-viewer", [nonResourceRule(["get"], publicInfoUrls)]),
    clusterRole("system:basic-user", [
      rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
      rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
    ]),
    clusterRole("system:monitoring", [
      nonResourceRule(["get"], ["/healthz", "/healthz/*", "/livez", "/livez/*", "/readyz", "/readyz/*", "/metrics"]),
    ]),
    clusterRole("system:node", nodeRules),
    clusterRole("system:node-proxier", nodeProxierRules),
    clusterRole("system:node-bootstrapper", [
      rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
    ]),
    clusterRole("system:kube-scheduler", schedulerRules),
    clusterRole("system:volume-scheduler", [
      rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumes"]),
      rule(READ, ["storage.k8s.io"], ["storageclasses"]),
      rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumeclaims"]),
    ]),
    clusterRole("system:kube-controller-manager", controllerManagerRules),
    clusterRole("system:kube-dns", [rule(["list", "watch"], [""], ["endpoints", "services"])]),
    clusterRole("system:k3lite-ingress", [rule(["list", "watch"], [""], ["secrets"])]),
    clusterRole("system:coredns", [
      rule(["list", "watch"], [""], ["endpoints", "services", "pods", "namespaces"]),
      rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
    ]),
    clusterRole("system:auth-delegator", [
      rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
      rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
    ]),
    clusterRole("system:service-account-issuer-discovery", [
      nonResourceRule(
        ["get"],
        [
          "/.well-known/openid-configuration",
          "/.well-known/openid-configuration/",
          "/openid/v1/jwks",
          "/openid/v1/jwks/",
        ],
      ),
    ]),
  ];
}
