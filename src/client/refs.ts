// ResourceRefs of the built-in resources, and the mapping from an object's apiVersion/kind to its collection.
// `ref(nsRef, "default")` narrows a ref to one namespace.

import type { ResourceRef } from "./types.ts";

interface BuiltIn {
  kind: string;
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

const BUILT_INS: BuiltIn[] = [
  // core/v1
  ...(
    [
      ["Pod", "pods", true],
      ["Node", "nodes", false],
      ["Namespace", "namespaces", false],
      ["Service", "services", true],
      ["Endpoints", "endpoints", true],
      ["ConfigMap", "configmaps", true],
      ["Secret", "secrets", true],
      ["ServiceAccount", "serviceaccounts", true],
      ["Event", "events", true],
      ["PersistentVolume", "persistentvolumes", false],
      ["PersistentVolumeClaim", "persistentvolumeclaims", true],
      ["ResourceQuota", "resourcequotas", true],
      ["LimitRange", "limitranges", true],
      ["ReplicationController", "replicationcontrollers", true],
      ["PodTemplate", "podtemplates", true],
    ] as const
  ).map(([kind, resource, namespaced]) => ({
    kind,
    group: "",
    version: "v1",
    resource,
    namespaced,
  })),
  ...gv("apps", "v1", [
    ["Deployment", "deployments"],
    ["ReplicaSet", "replicasets"],
    ["StatefulSet", "statefulsets"],
    ["DaemonSet", "daemonsets"],
    ["ControllerRevision", "controllerrevisions"],
  ]),
  ...gv("batch", "v1", [
    ["Job", "jobs"],
    ["CronJob", "cronjobs"],
  ]),
  ...gv("coordination.k8s.io", "v1", [["Lease", "leases"]]),
  ...gv("discovery.k8s.io", "v1", [["EndpointSlice", "endpointslices"]]),
  ...gv("events.k8s.io", "v1", [["Event", "events"]]),
  ...gv("policy", "v1", [["PodDisruptionBudget", "poddisruptionbudgets"]]),
  ...gv("networking.k8s.io", "v1", [
    ["Ingress", "ingresses"],
    ["NetworkPolicy", "networkpolicies"],
    ["IngressClass", "ingressclasses", false],
  ]),
  ...gv("scheduling.k8s.io", "v1", [["PriorityClass", "priorityclasses", false]]),
  ...gv("storage.k8s.io", "v1", [
    ["StorageClass", "storageclasses", false],
    ["CSIDriver", "csidrivers", false],
    ["CSINode", "csinodes", false],
    ["VolumeAttachment", "volumeattachments", false],
  ]),
  ...gv("rbac.authorization.k8s.io", "v1", [
    ["Role", "roles"],
    ["RoleBinding", "rolebindings"],
    ["ClusterRole", "clusterroles", false],
    ["ClusterRoleBinding", "clusterrolebindings", false],
  ]),
  ...gv("apiextensions.k8s.io", "v1", [["CustomResourceDefinition", "customresourcedefinitions", false]]),
  ...gv("certificates.k8s.io", "v1", [["CertificateSigningRequest", "certificatesigningrequests", false]]),
  ...gv("autoscaling", "v2", [["HorizontalPodAutoscaler", "horizontalpodautoscalers"]]),
];

function gv(group: string, version: string, kinds: ([string, string] | [string, string, boolean])[]): BuiltIn[] {
  return kinds.map(([kind, resource, namespaced = true]) => ({
    kind,
    group,
    version,
    resource,
    namespaced,
  }));
}

function builtIn(group: string, resource: string): ResourceRef {
  const entry = BUILT_INS.find((b) => b.group === group && b.resource === resource);
  if (!entry) throw new Error(`unknown built-in resource ${resource}.${group}`);
  return { group, version: entry.version, resource };
}

// Collections across all namespaces; narrow with `inNamespace`.
export const pods = builtIn("", "pods");
export const nodes = builtIn("", "nodes");
export const namespaces = builtIn("", "namespaces");
export const services = builtIn("", "services");
export const endpoints = builtIn("", "endpoints");
export const configmaps = builtIn("", "configmaps");
export const secrets = builtIn("", "secrets");
export const serviceaccounts = builtIn("", "serviceaccounts");
export const events = builtIn("", "events");
export const persistentvolumes = builtIn("", "persistentvolumes");
export const persistentvolumeclaims = builtIn("", "persistentvolumeclaims");
export const resourcequotas = builtIn("", "resourcequotas");
export const limitranges = builtIn("", "limitranges");
export const deployments = builtIn("apps", "deployments");
export const replicasets = builtIn("apps", "replicasets");
export const statefulsets = builtIn("apps", "statefulsets");
export const daemonsets = builtIn("apps", "daemonsets");
export const controllerrevisions = builtIn("apps", "controllerrevisions");
export const jobs = builtIn("batch", "jobs");
export const cronjobs = builtIn("batch", "cronjobs");
export const leases = builtIn("coordination.k8s.io", "leases");
export const endpointslices = builtIn("discovery.k8s.io", "endpointslices");
export const poddisruptionbudgets = builtIn("policy", "poddisruptionbudgets");
export const ingresses = builtIn("networking.k8s.io", "ingresses");
export const networkpolicies = builtIn("networking.k8s.io", "networkpolicies");
export const priorityclasses = builtIn("scheduling.k8s.io", "priorityclasses");
export const storageclasses = builtIn("storage.k8s.io", "storageclasses");
export const customresourcedefinitions = builtIn("apiextensions.k8s.io", "customresourcedefinitions");
export const certificatesigningrequests = builtIn("certificates.k8s.io", "certificatesigningrequests");

/** `ref` restricted to one namespace (cluster-scoped refs are returned unchanged by callers passing undefined). */
export function inNamespace(ref: ResourceRef, namespace: string | undefined): ResourceRef {
  return namespace ? { ...ref, namespace } : ref;
}

/** Splits "apps/v1" into group and version ("v1" → core group ""). */
export function parseApiVersion(apiVersion: string): {
  group: string;
  version: string;
} {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : {
        group: apiVersion.slice(0, slash),
        version: apiVersion.slice(slash + 1),
      };
}

/** Whether a built-in kind is namespaced; undefined for kinds we do not know (e.g. custom resources). */
export function isNamespacedKind(apiVersion: string, kind: string): boolean | undefined {
  const { group } = parseApiVersion(apiVersion);
  return BUILT_INS.find((b) => b.group === group && b.kind === kind)?.namespaced;
}

/**
 * The collection of objects of `kind` in `apiVersion`. Unknown kinds (custom resources) get upstream's default
 * plural (lower-case, "y" → "ies", "s"/"x"/"ch"/"sh" → "es", else "s"); use discovery when a CRD names its own.
 * The namespace is dropped for built-in cluster-scoped kinds.
 */
export function refFor(apiVersion: string, kind: string, namespace?: string): ResourceRef {
  const { group, version } = parseApiVersion(apiVersion);
  const known = BUILT_INS.find((b) => b.group === group && b.kind === kind);
  const resource = known?.resource ?? defaultPlural(kind);
  const ref: ResourceRef = { group, version, resource };
  if (namespace && known?.namespaced !== false) ref.namespace = namespace;
  return ref;
}

export function defaultPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}
