// NodeResourcesFit: the pod's requests (containers, init containers, overhead) must fit in the node's allocatable
// minus what its pods already request, and the pod count must stay within allocatable pods. Scores with the
// LeastAllocated strategy (emptier nodes first), which spreads pods.

import type { Pod } from "../../api/types.ts";
import { type CycleState, MAX_NODE_SCORE, type Plugin, unschedulable } from "../framework.ts";
import type { NodeInfo } from "../nodeinfo.ts";
import { isZero, type Resource } from "../resources.ts";

/** Every resource the pod does not fit in, by upstream's reason ("Insufficient cpu", "Too many pods"). */
export function insufficientResources(req: Resource, node: NodeInfo): string[] {
  const reasons: string[] = [];
  const alloc = node.allocatable;
  if (node.pods.size + 1 > alloc.pods) reasons.push("Too many pods");
  if (isZero(req)) return reasons;
  const used = node.requested;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push("Insufficient cpu");
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) reasons.push("Insufficient memory");
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage)
    reasons.push("Insufficient ephemeral-storage");
  for (const [name, want] of req.scalar) {
    if (want > 0 && want > (alloc.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0))
      reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

/** Requested fraction of allocatable for cpu and memory after adding the pod (scoring uses non-zero requests). */
export function utilisation(state: CycleState, node: NodeInfo): { cpu: number; memory: number } {
  const pod = state.podInfo.nonZeroRequests;
  const frac = (requested: number, allocatable: number) => (allocatable > 0 ? requested / allocatable : 1);
  return {
    cpu: frac(node.nonZeroRequested.milliCPU + pod.milliCPU, node.allocatable.milliCPU),
    memory: frac(node.nonZeroRequested.memory + pod.memory, node.allocatable.memory),
  };
}

export const NodeResourcesFit: Plugin = {
  name: "NodeResourcesFit",
  filter(state: CycleState, _pod: Pod, node: NodeInfo) {
    const reasons = insufficientResources(state.podInfo.requests, node);
    return reasons.length ? unschedulable(...reasons) : undefined;
  },
  score(state, _pod, node) {
    const { cpu, memory } = utilisation(state, node);
    const free = (f: number) => (f > 1 ? 0 : (1 - f) * MAX_NODE_SCORE);
    return Math.floor((free(cpu) + free(memory)) / 2);
  },
};
