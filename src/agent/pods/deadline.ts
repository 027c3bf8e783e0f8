// spec.activeDeadlineSeconds, as the kubelet's active deadline handler: a pod active on the node (counted from
// status.startTime) longer than its deadline is killed and ends Failed with reason DeadlineExceeded.

import type { Pod } from "../../api/types.ts";

export const DEADLINE_EXCEEDED = {
  phase: "Failed",
  reason: "DeadlineExceeded",
  message: "Pod was active on the node longer than the specified deadline",
} as const;

/**
 * Milliseconds left before the pod's active deadline (≤ 0: past it), or undefined without one. A pod with no
 * start time yet gets it now (the status this sync writes), so its deadline counts from now.
 */
export function activeDeadlineLeft(pod: Pod, now = Date.now()): number | undefined {
  const seconds = pod.spec?.activeDeadlineSeconds;
  if (seconds == null) return undefined;
  const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : now;
  return start + seconds * 1000 - now;
}
