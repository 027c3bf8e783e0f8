// Pods nominated to a node by preemption: the scheduler keeps room for them there until they are bound, so pods
// of lower priority do not take the space their victims freed.

import type { PodInfo } from "./nodeinfo.ts";

export class Nominator {
  private readonly byPod = new Map<string, { nodeName: string; info: PodInfo }>();
  private readonly byNode = new Map<string, Map<string, PodInfo>>();

  set(info: PodInfo, nodeName: string): void {
    this.delete(info.key);
    this.byPod.set(info.key, { nodeName, info });
    let onNode = this.byNode.get(nodeName);
    if (!onNode) {
      onNode = new Map();
      this.byNode.set(nodeName, onNode);
    }
    onNode.set(info.key, info);
  }

  delete(key: string): void {
    const entry = this.byPod.get(key);
    if (!entry) return;
    this.byPod.delete(key);
    const onNode = this.byNode.get(entry.nodeName);
    onNode?.delete(key);
    if (onNode?.size === 0) this.byNode.delete(entry.nodeName);
  }

  podsOn(nodeName: string): PodInfo[] {
    const onNode = this.byNode.get(nodeName);
    return onNode ? [...onNode.values()] : [];
  }

  nodeOf(key: string): string | undefined {
    return this.byPod.get(key)?.nodeName;
  }
}
