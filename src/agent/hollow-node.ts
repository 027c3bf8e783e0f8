// The Node object a hollow node registers (capacity, labels, addresses, nodeInfo) and the conditions it posts
// with each status heartbeat. Pure object logic; registration and Lease renewal live in hollow.ts.

import type { core, Node } from "../api/types.ts";
import type { HollowNodeOptions } from "./hollow.ts";
import { now } from "./hollow-pod-status.ts";

/** A distinct IPv4 address per `index`, counting up from base[0].base[1].0.1. */
export function ipFromIndex(base: [number, number], index: number): string {
  return `${base[0]}.${base[1] + Math.floor(index / 65536)}.${Math.floor(index / 256) % 256}.${(index % 256) + 1}`;
}

export function nodeObject(name: string, index: number, o: HollowNodeOptions): Node {
  const allocatable = {
    cpu: o.cpu ?? "32",
    memory: o.memory ?? "256Gi",
    pods: String(o.pods ?? 110),
    "ephemeral-storage": "100Gi",
  };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "k3lite-hollow",
        type: "hollow",
        ...o.labels,
      },
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "k3lite.io/hollow": "true" },
    },
    spec: { taints: o.taints },
    status: {
      capacity: allocatable,
      allocatable,
      conditions: nodeConditions(),
      addresses: [
        { type: "InternalIP", address: ipFromIndex([172, 30], index) },
        { type: "Hostname", address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: name,
        systemUUID: name,
        bootID: name,
        kernelVersion: "hollow",
        osImage: "k3lite hollow node",
        containerRuntimeVersion: "fake://0.1.0",
        kubeletVersion: "v1.32.0-k3lite-hollow",
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: "amd64",
      },
    },
  };
}

export function nodeConditions(): core.NodeCondition[] {
  const t = now();
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: t,
    lastTransitionTime: t,
  });
  return [
    cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
  ];
}
