// Upstream's strategic-merge-patch tags (`patchStrategy`/`patchMergeKey` in the Go types), which the
// TypeScript declarations in kubernetes-types do not carry. Keyed "<module>.<Type>.<field>" (module as in
// kubernetes-types, e.g. "core/v1"); scripts/gen-openapi.ts folds them into the generated schemas.

export interface PatchTag {
  /** "merge", "retainKeys" or "merge,retainKeys", as upstream writes it. */
  strategy: string;
  /** For lists of objects merged by key: the field identifying an element. */
  mergeKey?: string;
}

const merge = (mergeKey?: string): PatchTag => (mergeKey ? { strategy: "merge", mergeKey } : { strategy: "merge" });
const byType = merge("type");
const byName = merge("name");

/** Fields every container-like type shares (Container and EphemeralContainer are separate declarations). */
const containerFields = {
  ports: merge("containerPort"),
  env: byName,
  volumeMounts: merge("mountPath"),
  volumeDevices: merge("devicePath"),
};

function fieldsOf(module: string, type: string, fields: Record<string, PatchTag>): [string, PatchTag][] {
  return Object.entries(fields).map(([field, tag]) => [`${module}.${type}.${field}`, tag]);
}

export const patchTags: ReadonlyMap<string, PatchTag> = new Map([
  ...fieldsOf("meta/v1", "ObjectMeta", {
    finalizers: merge(),
    ownerReferences: merge("uid"),
  }),
  ...fieldsOf("core/v1", "Container", containerFields),
  ...fieldsOf("core/v1", "EphemeralContainer", containerFields),
  ...fieldsOf("core/v1", "PodSpec", {
    volumes: { strategy: "merge,retainKeys", mergeKey: "name" },
    initContainers: byName,
    containers: byName,
    ephemeralContainers: byName,
    imagePullSecrets: byName,
    hostAliases: merge("ip"),
    topologySpreadConstraints: merge("topologyKey"),
    schedulingGates: byName,
    resourceClaims: { strategy: "merge,retainKeys", mergeKey: "name" },
  }),
  ...fieldsOf("core/v1", "PodStatus", {
    conditions: byType,
    podIPs: merge("ip"),
    hostIPs: merge("ip"),
    resourceClaimStatuses: { strategy: "merge,retainKeys", mergeKey: "name" },
  }),
  ...fieldsOf("core/v1", "ServiceSpec", { ports: merge("port") }),
  ...fieldsOf("core/v1", "ServiceStatus", { conditions: byType }),
  ...fieldsOf("core/v1", "ServiceAccount", { secrets: byName }),
  ...fieldsOf("core/v1", "NodeSpec", { podCIDRs: merge() }),
  ...fieldsOf("core/v1", "NodeStatus", {
    conditions: byType,
    addresses: byType,
  }),
  ...fieldsOf("core/v1", "NamespaceStatus", { conditions: byType }),
  ...fieldsOf("core/v1", "PersistentVolumeClaimStatus", { conditions: byType }),
  ...fieldsOf("core/v1", "ReplicationControllerStatus", { conditions: byType }),
  ...fieldsOf("core/v1", "ComponentStatus", { conditions: byType }),
  ...fieldsOf("apps/v1", "DeploymentSpec", {
    strategy: { strategy: "retainKeys" },
  }),
  ...fieldsOf("apps/v1", "DeploymentStatus", { conditions: byType }),
  ...fieldsOf("apps/v1", "ReplicaSetStatus", { conditions: byType }),
  ...fieldsOf("apps/v1", "StatefulSetStatus", { conditions: byType }),
  ...fieldsOf("apps/v1", "DaemonSetStatus", { conditions: byType }),
  ...fieldsOf("batch/v1", "JobStatus", { conditions: byType }),
  ...fieldsOf("policy/v1", "PodDisruptionBudgetStatus", { conditions: byType }),
]);
