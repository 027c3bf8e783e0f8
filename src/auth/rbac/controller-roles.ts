// Roles of k3lite's controllers, one identity each as upstream's controller_policy.go (system:controller:<name>,
// bound to the ServiceAccount kube-system/<name>), so a controller can do only its own job even in one process.
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from "kubernetes-types/rbac/v1";
import type { UserInfo } from "../../api/types.ts";
import { clusterRole, eventsRule } from "./bootstrap-roles.ts";
import { READ, rule } from "./rules.ts";

const crud = ["create", "delete", "get", "list", "patch", "update", "watch"];

/** Per controller name (its ServiceAccount in kube-system), the rules it needs. Events are added to all. */
const controllerRules: Record<string, PolicyRule[]> = {
  "replicaset-controller": [
    rule(["get", "list", "watch", "update", "patch"], ["apps"], ["replicasets"]),
    rule(["update", "patch"], ["apps"], ["replicasets/status", "replicasets/finalizers"]),
    rule(["list", "watch", "patch", "create", "delete"], [""], ["pods"]),
  ],
  "replication-controller": [
    rule(["get", "list", "watch", "update", "patch"], [""], ["replicationcontrollers"]),
    rule(["update", "patch"], [""], ["replicationcontrollers/status", "replicationcontrollers/finalizers"]),
    rule(["list", "watch", "patch", "create", "delete"], [""], ["pods"]),
  ],
  "deployment-controller": [
    rule(["get", "list", "watch", "update", "patch"], ["apps"], ["deployments"]),
    rule(["update", "patch"], ["apps"], ["deployments/status", "deployments/finalizers"]),
    rule(crud, ["apps"], ["replicasets"]),
    rule(["get", "list", "watch", "update"], [""], ["pods"]),
  ],
  "statefulset-controller": [
    rule(["list", "watch"], ["apps"], ["statefulsets"]),
    rule(["update"], ["apps"], ["statefulsets/status", "statefulsets/finalizers"]),
    rule(["list", "watch", "get", "create", "delete", "update", "patch"], [""], ["pods"]),
    rule(crud, ["apps"], ["controllerrevisions"]),
    rule(["get", "list", "watch", "create", "update", "patch", "delete"], [""], ["persistentvolumeclaims"]),
  ],
  "daemon-set-controller": [
    rule(["get", "list", "watch"], ["apps"], ["daemonsets"]),
    rule(["update"], ["apps"], ["daemonsets/status", "daemonsets/finalizers"]),
    rule(READ, [""], ["nodes"]),
    rule(["list", "watch", "create", "delete", "patch"], [""], ["pods"]),
    rule(["create"], [""], ["pods/binding"]),
    rule(crud, ["apps"], ["controllerrevisions"]),
  ],
  "job-controller": [
    rule(["get", "list", "watch", "update", "patch"], ["batch"], ["jobs"]),
    rule(["update", "patch"], ["batch"], ["jobs/status"]),
    rule(["update"], ["batch"], ["jobs/finalizers"]),
    rule(["list", "watch", "create", "delete", "patch"], [""], ["pods"]),
  ],
  "cronjob-controller": [
    rule(["get", "list", "watch", "update", "patch"], ["batch"], ["cronjobs"]),
    rule(["get", "list", "watch", "create", "update", "delete", "patch"], ["batch"], ["jobs"]),
    rule(["update", "patch"], ["batch"], ["cronjobs/status", "cronjobs/finalizers"]),
    rule(["list", "delete"], [""], ["pods"]),
  ],
  "generic-garbage-collector": [rule(["get", "list", "watch", "patch", "update", "delete"], ["*"], ["*"])],
  "namespace-controller": [
    rule(["get", "list", "watch", "delete"], [""], ["namespaces"]),
    rule(["update"], [""], ["namespaces/finalize", "namespaces/status"]),
    rule(["get", "list", "delete", "deletecollection"], ["*"], ["*"]),
  ],
  "service-account-controller": [
    rule(["create"], [""], ["serviceaccounts"]),
    rule(["list", "watch"], [""], ["namespaces", "serviceaccounts"]),
  ],
  "root-ca-cert-publisher": [
    rule(["create", "update", "get", "list", "watch"], [""], ["configmaps"]),
    rule(["list", "watch"], [""], ["namespaces"]),
  ],
  "endpoint-controller": [
    rule(READ, [""], ["services", "pods"]),
    rule(["get", "list", "watch", "create", "update", "delete"], [""], ["endpoints"]),
    rule(["create"], [""], ["endpoints/restricted"]),
  ],
  "horizontal-pod-autoscaler": [
    rule(READ, ["autoscaling"], ["horizontalpodautoscalers"]),
    rule(["update"], ["autoscaling"], ["horizontalpodautoscalers/status"]),
    rule(["get", "update"], ["apps"], ["deployments/scale", "replicasets/scale", "statefulsets/scale"]),
    rule(["list"], [""], ["pods"]),
    rule(["list"], ["metrics.k8s.io"], ["pods"]),
  ],
  "ingress-status-controller": [
    rule(READ, [""], ["nodes"]),
    rule(READ, ["networking.k8s.io"], ["ingresses"]),
    rule(["update", "patch"], ["networking.k8s.io"], ["ingresses/status"]),
  ],
  "service-lb-controller": [
    rule(READ, [""], ["services", "nodes"]),
    rule(["update", "patch"], [""], ["services/status"]),
  ],
  "endpointslice-controller": [
    rule(READ, [""], ["services", "pods", "nodes"]),
    rule(["get", "list", "watch", "create", "update", "delete"], ["discovery.k8s.io"], ["endpointslices"]),
  ],
  "node-controller": [
    rule(["get", "list", "watch", "update", "delete", "patch"], [""], ["nodes"]),
    rule(["patch", "update"], [""], ["nodes/status"]),
    rule(["list", "watch", "delete"], [""], ["pods"]),
    rule(["update", "patch"], [""], ["pods/status"]),
    rule(["create"], [""], ["pods/eviction"]),
    rule(READ, ["coordination.k8s.io"], ["leases"]),
  ],
  "pod-garbage-collector": [
    rule(["list", "watch", "delete"], [""], ["pods"]),
    rule(["patch"], [""], ["pods/status"]),
    rule(["get", "list", "watch"], [""], ["nodes"]),
  ],
  "persistent-volume-binder": [
    rule(crud, [""], ["persistentvolumes"]),
    rule(["update"], [""], ["persistentvolumes/status"]),
    rule(["get", "list", "watch", "update", "patch"], [""], ["persistentvolumeclaims"]),
    rule(["update", "patch"], [""], ["persistentvolumeclaims/status"]),
    rule(["get", "list", "watch", "create", "delete"], [""], ["pods"]),
    rule(READ, [""], ["nodes"]),
    rule(READ, ["storage.k8s.io"], ["storageclasses"]),
  ],
  "local-path-provisioner": [
    rule(READ, [""], ["nodes", "persistentvolumeclaims", "configmaps"]),
    rule(crud, [""], ["persistentvolumes"]),
    rule(["get", "list", "watch", "create", "delete"], [""], ["pods"]),
    rule(["get"], [""], ["pods/log"]),
    // It creates the default `local-path` StorageClass, as k3s's packaged provisioner manifest does.
    rule([...READ, "create", "update", "patch"], ["storage.k8s.io"], ["storageclasses"]),
  ],
  "disruption-controller": [
    rule(READ, ["apps"], ["deployments", "replicasets", "statefulsets"]),
    rule(READ, [""], ["replicationcontrollers", "pods"]),
    rule(READ, ["policy"], ["poddisruptionbudgets"]),
    rule(["update"], ["policy"], ["poddisruptionbudgets/status"]),
    rule(["get"], ["*"], ["*/scale"]),
  ],
  "resourcequota-controller": [
    rule(["list", "watch"], ["*"], ["*"]),
    rule(["update"], [""], ["resourcequotas/status"]),
  ],
  "ttl-after-finished-controller": [rule(["get", "list", "watch", "delete"], ["batch"], ["jobs"])],
  // Upstream's ephemeral-volume-controller: a PVC per generic ephemeral volume, owned by its pod.
  "ephemeral-volume-controller": [
    rule(READ, [""], ["pods"]),
    rule(["update"], [""], ["pods/finalizers"]),
    rule(["get", "list", "watch", "create"], [""], ["persistentvolumeclaims"]),
  ],
};

export const CONTROLLER_NAMES = Object.keys(controllerRules);
export const CONTROLLER_NAMESPACE = "kube-system";

/** The identity a controller runs with, in-process or not: its ServiceAccount in kube-system. */
export function controllerUser(name: string): UserInfo {
  return {
    username: `system:serviceaccount:${CONTROLLER_NAMESPACE}:${name}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${CONTROLLER_NAMESPACE}`, "system:authenticated"],
  };
}

export function controllerClusterRoles(): ClusterRole[] {
  return Object.entries(controllerRules).map(([name, rules]) =>
    clusterRole(`system:controller:${name}`, [...rules, eventsRule]),
  );
}

export function controllerClusterRoleBindings(): ClusterRoleBinding[] {
  return CONTROLLER_NAMES.map((name) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: {
      name: `system:controller:${name}`,
      labels: { "kubernetes.io/bootstrapping": "rbac-defaults" },
      annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
    },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `system:controller:${name}` },
    subjects: [{ kind: "ServiceAccount", name, namespace: CONTROLLER_NAMESPACE }],
  }));
}
