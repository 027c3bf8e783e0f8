// The Node object this agent owns: registration (labels, taints, capacity, addresses, nodeInfo) and status
// updates every 60 s or as soon as something reported changes (readiness, pod CIDR, addresses).

import { consola } from "consola";
import type { core, Node } from "../../api/types.ts";
import { isAlreadyExists } from "../../client/client.ts";
import { nodes } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import { version } from "../../version.ts";
import type { AgentConfig } from "../config.ts";
import { type NodeHealth, nodeConditions } from "./conditions.ts";
import {
  allocatable,
  goArch,
  machineCapacity,
  nodeAddresses,
  nodeSystemInfo,
  parseReserved,
  resourceList,
} from "./machine.ts";

const log = consola.withTag("node");

/** The Kubernetes version we implement, as kubelets report it (k3s: v1.32.x+k3s1). */
export const KUBELET_VERSION = `v1.32.0+k3lite-${version.replace(/^v/, "")}`;
export const KUBELET_PORT = 10250;

export function parseTaint(spec: string): core.Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(spec.trim());
  if (!m) throw new Error(`invalid --node-taint "${spec}": expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
  return { key: m[1] as string, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as string };
}

export function parseLabel(spec: string): [string, string] {
  const i = spec.indexOf("=");
  if (i <= 0) throw new Error(`invalid --node-label "${spec}": expected key=value`);
  return [spec.slice(0, i), spec.slice(i + 1)];
}

export function nodeLabels(config: AgentConfig): Record<string, string> {
  const arch = goArch();
  const labels: Record<string, string> = {
    "beta.kubernetes.io/arch": arch,
    "beta.kubernetes.io/os": "linux",
    "kubernetes.io/arch": arch,
    "kubernetes.io/hostname": config.nodeName,
    "kubernetes.io/os": "linux",
    "node.kubernetes.io/instance-type": "k3lite",
  };
  if (config.controlPlane) labels["node-role.kubernetes.io/control-plane"] = "true";
  for (const spec of config.nodeLabels) {
    const [k, v] = parseLabel(spec);
    labels[k] = v;
  }
  return labels;
}

export function nodeStatus(
  config: AgentConfig,
  runtimeVersion: string,
  health: NodeHealth,
  previous?: Node,
): core.NodeStatus {
  const capacity = machineCapacity(config.dataDir);
  const alloc = allocatable(capacity, parseReserved(config.kubeReserved), parseReserved(config.systemReserved));
  return {
    capacity: resourceList(capacity),
    allocatable: resourceList(alloc),
    addresses: nodeAddresses(config.nodeIp),
    conditions: nodeConditions(health, config.dataDir, previous?.status?.conditions),
    // The port actually bound (config.kubeletPort 0 picks a free one): the API server relays streams there.
    daemonEndpoints: { kubeletEndpoint: { Port: config.kubeletPort || KUBELET_PORT } },
    nodeInfo: nodeSystemInfo(runtimeVersion, KUBELET_VERSION),
    images: previous?.status?.images,
  };
}

/** Creates the Node, or adopts the existing one (adding our labels and taints). Returns the stored Node. */
export async function registerNode(client: KubeClient, config: AgentConfig, status: core.NodeStatus): Promise<Node> {
  const taints = config.nodeTaints.map(parseTaint);
  const node: Node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: config.nodeName, labels: nodeLabels(config) },
    spec: taints.length ? { taints } : {},
    status,
  };
  try {
    await client.create<Node>(nodes, node);
    log.info(`registered node ${config.nodeName}`);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await client.get<Node>(nodes, config.nodeName);
    const mergedTaints = [...(existing.spec?.taints ?? [])];
    for (const t of taints)
      if (!mergedTaints.some((e) => e.key === t.key && e.effect === t.effect)) mergedTaints.push(t);
    await client.patch<Node>(
      nodes,
      config.nodeName,
      { metadata: { labels: node.metadata?.labels }, spec: { taints: mergedTaints.length ? mergedTaints : null } },
      "merge",
    );
  }
  // Some API servers drop status on create: always write it through the status subresource.
  return client.patch<Node>(nodes, config.nodeName, { status }, "merge", undefined, "status");
}

export async function updateNodeStatus(client: KubeClient, name: string, status: core.NodeStatus): Promise<Node> {
  return client.patch<Node>(nodes, name, { status }, "merge", undefined, "status");
}

/** Whether two statuses differ in anything but heartbeat times (so a change is reported at once). */
export function statusChanged(a: core.NodeStatus | undefined, b: core.NodeStatus): boolean {
  const strip = (s: core.NodeStatus | undefined) =>
    JSON.stringify({
      ...s,
      conditions: s?.conditions?.map((c) => ({ type: c.type, status: c.status, reason: c.reason })),
      allocatable: undefined,
      capacity: undefined,
    });
  return strip(a) !== strip(b);
}
