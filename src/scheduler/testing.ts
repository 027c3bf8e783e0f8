// Object builders for scheduler tests: nodes and pods with resources, labels, taints and affinity in one line.

import type { core, Node, Pod } from "../api/types.ts";
import { CycleState } from "./framework.ts";
import { NodeInfo, newPodInfo, type Snapshot } from "./nodeinfo.ts";

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: core.Taint[];
  unschedulable?: boolean;
}

export function makeNode(name: string, s: NodeSpec = {}): Node {
  const allocatable = { cpu: s.cpu ?? "4", memory: s.memory ?? "8Gi", pods: String(s.pods ?? 110) };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...s.labels } },
    spec: { taints: s.taints, unschedulable: s.unschedulable },
    status: { allocatable, capacity: allocatable, conditions: [{ type: "Ready", status: "True" }] },
  };
}

export interface PodSpecShort {
  cpu?: string;
  memory?: string;
  namespace?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  hostPort?: number;
  spec?: Partial<core.PodSpec>;
}

export function makePod(name: string, s: PodSpecShort = {}): Pod {
  const requests: Record<string, string> = {};
  if (s.cpu) requests.cpu = s.cpu;
  if (s.memory) requests.memory = s.memory;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: s.namespace ?? "default", labels: s.labels, uid: `uid-${name}` },
    spec: {
      containers: [
        {
          name: "c",
          image: "busybox",
          resources: { requests },
          ports: s.hostPort ? [{ containerPort: 80, hostPort: s.hostPort }] : undefined,
        },
      ],
      nodeName: s.nodeName,
      priority: s.priority,
      ...s.spec,
    },
  };
}

/** A snapshot of nodes with the given pods placed on them (pods name their node). */
export function makeSnapshot(nodes: Node[], pods: Pod[] = []): Snapshot {
  const infos = nodes.map((n) => new NodeInfo(n));
  const byName = new Map(infos.map((i) => [i.name, i]));
  for (const p of pods) byName.get(p.spec?.nodeName as string)?.addPod(newPodInfo(p));
  return { nodes: infos, get: (name) => byName.get(name), namespaceLabels: () => undefined };
}

export function stateFor(pod: Pod, snapshot: Snapshot): CycleState {
  return new CycleState(newPodInfo(pod), snapshot);
}
