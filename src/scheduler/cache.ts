// The scheduler's view of nodes and the pods on them, kept up to date from informer events, plus "assumed" pods:
// a pod is counted on its node as soon as it is chosen, before the binding is confirmed, so the next pod in the
// queue already sees the space taken (kube-scheduler's cache).

import type { Namespace, Node, Pod } from "../api/types.ts";
import { objectKey } from "../client/cache.ts";
import { NodeInfo, newPodInfo, type PodInfo, type Snapshot } from "./nodeinfo.ts";

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  /** Nodes that exist (a NodeInfo can also exist only because pods name a node not yet seen). */
  private readonly known = new Set<string>();
  private nodeList: NodeInfo[] | undefined;
  private readonly podNode = new Map<string, string>();
  private readonly assumed = new Set<string>();

  constructor(
    private readonly priorityOf: (pod: Pod) => number,
    private readonly namespaceOf: (name: string) => Namespace | undefined = () => undefined,
  ) {}

  private info(name: string): NodeInfo {
    let info = this.nodes.get(name);
    if (!info) {
      info = new NodeInfo({ metadata: { name } });
      this.nodes.set(name, info);
    }
    return info;
  }

  addNode(node: Node): void {
    const name = node.metadata?.name as string;
    this.info(name).setNode(node);
    if (!this.known.has(name)) {
      this.known.add(name);
      this.nodeList = undefined;
    }
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata?.name as string;
    this.known.delete(name);
    this.nodeList = undefined;
    const info = this.nodes.get(name);
    if (info && info.pods.size === 0) this.nodes.delete(name);
  }

  /** A pod bound to a node (confirms an assumed pod). Terminal pods hold no resources: they are removed. */
  addPod(pod: Pod): void {
    const key = objectKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) {
      this.removePod(pod);
      return;
    }
    const previous = this.podNode.get(key);
    if (previous && previous !== nodeName) this.nodes.get(previous)?.removePod(key);
    this.assumed.delete(key);
    this.podNode.set(key, nodeName);
    this.info(nodeName).addPod(newPodInfo(pod, this.priorityOf(pod)));
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    this.forget(objectKey(pod));
  }

  /** Counts the pod on `nodeName` before its binding is confirmed. */
  assume(podInfo: PodInfo, nodeName: string): void {
    this.assumed.add(podInfo.key);
    this.podNode.set(podInfo.key, nodeName);
    this.info(nodeName).addPod(podInfo);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  /** Drops a pod (deleted, or an assumed pod whose binding failed). */
  forget(key: string): void {
    const nodeName = this.podNode.get(key);
    this.assumed.delete(key);
    this.podNode.delete(key);
    if (!nodeName) return;
    const info = this.nodes.get(nodeName);
    info?.removePod(key);
    if (info && !this.known.has(nodeName) && info.pods.size === 0) this.nodes.delete(nodeName);
  }

  nodeCount(): number {
    return this.known.size;
  }

  /** The live view for one cycle: scheduling cycles run without awaiting, so nothing changes under them. */
  snapshot(): Snapshot {
    if (!this.nodeList) this.nodeList = [...this.known].map((n) => this.nodes.get(n) as NodeInfo);
    const list = this.nodeList;
    return {
      nodes: list,
      get: (name) => (this.known.has(name) ? this.nodes.get(name) : undefined),
      namespaceLabels: (name) => this.namespaceOf(name)?.metadata?.labels,
    };
  }
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}
