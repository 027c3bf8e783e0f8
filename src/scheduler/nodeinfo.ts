// What the scheduler knows about one node: the Node, the pods on it (bound or assumed) and the totals plugins
// need (requested resources, non-zero requests for scoring, host ports in use). PodInfo holds per-pod values
// computed once (requests, priority, affinity terms) instead of in every filter call.

import type { core, Node, Pod } from "../api/types.ts";
import { objectKey } from "../client/cache.ts";
import { addResource, emptyResource, nodeAllocatable, podRequests, type Resource } from "./resources.ts";

export interface HostPort {
  protocol: string;
  hostIP: string;
  port: number;
}

export interface PodInfo {
  pod: Pod;
  key: string;
  requests: Resource;
  nonZeroRequests: Resource;
  priority: number;
  hostPorts: HostPort[];
  requiredAffinityTerms: core.PodAffinityTerm[];
  requiredAntiAffinityTerms: core.PodAffinityTerm[];
  preferredAffinityTerms: core.WeightedPodAffinityTerm[];
  preferredAntiAffinityTerms: core.WeightedPodAffinityTerm[];
}

export function newPodInfo(pod: Pod, priority = pod.spec?.priority ?? 0): PodInfo {
  const affinity = pod.spec?.affinity;
  return {
    pod,
    key: objectKey(pod),
    requests: podRequests(pod),
    nonZeroRequests: podRequests(pod, true),
    priority,
    hostPorts: hostPortsOf(pod),
    requiredAffinityTerms: affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
    requiredAntiAffinityTerms: affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
    preferredAffinityTerms: affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [],
    preferredAntiAffinityTerms: affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [],
  };
}

function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const containers = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always"),
  ];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort && p.hostPort > 0)
        out.push({ protocol: p.protocol ?? "TCP", hostIP: p.hostIP || "0.0.0.0", port: p.hostPort });
    }
  }
  return out;
}

export function hasPodAffinity(p: PodInfo): boolean {
  return (
    p.requiredAffinityTerms.length > 0 ||
    p.requiredAntiAffinityTerms.length > 0 ||
    p.preferredAffinityTerms.length > 0 ||
    p.preferredAntiAffinityTerms.length > 0
  );
}

export class NodeInfo {
  node: Node;
  readonly pods = new Map<string, PodInfo>();
  allocatable: Resource;
  readonly requested = emptyResource();
  readonly nonZeroRequested = emptyResource();
  readonly usedPorts: HostPort[] = [];
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;

  constructor(node: Node) {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
  }

  get name(): string {
    return this.node.metadata?.name ?? "";
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    addResource(this.requested, p.requests);
    addResource(this.nonZeroRequested, p.nonZeroRequests);
    this.usedPorts.push(...p.hostPorts);
    if (hasPodAffinity(p)) this.podsWithAffinity++;
    if (p.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity++;
  }

  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    addResource(this.requested, p.requests, -1);
    addResource(this.nonZeroRequested, p.nonZeroRequests, -1);
    for (const hp of p.hostPorts) {
      const i = this.usedPorts.findIndex(
        (u) => u.port === hp.port && u.protocol === hp.protocol && u.hostIP === hp.hostIP,
      );
      if (i >= 0) this.usedPorts.splice(i, 1);
    }
    if (hasPodAffinity(p)) this.podsWithAffinity--;
    if (p.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity--;
    return p;
  }

  /** A copy that can be changed (preemption dry runs, nominated pods) without touching the cache. */
  clone(): NodeInfo {
    const copy = new NodeInfo(this.node);
    for (const p of this.pods.values()) copy.addPod(p);
    return copy;
  }
}

/** The cluster as one scheduling cycle sees it. */
export interface Snapshot {
  nodes: NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** Labels of a namespace (for namespaceSelector in pod affinity terms); undefined if unknown. */
  namespaceLabels(name: string): Record<string, string> | undefined;
}

/** `snapshot` with some nodes replaced (e.g. by preemption dry-run copies). */
export function overlaySnapshot(snapshot: Snapshot, replaced: NodeInfo[]): Snapshot {
  const byName = new Map(replaced.map((n) => [n.name, n]));
  return {
    nodes: snapshot.nodes.map((n) => byName.get(n.name) ?? n),
    get: (name) => byName.get(name) ?? snapshot.get(name),
    namespaceLabels: (name) => snapshot.namespaceLabels(name),
  };
}
