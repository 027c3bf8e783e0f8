// The pod statuses this agent last wrote, like the kubelet's status manager cache: the informer delivers our own
// writes a little later, and a sync in between must compare with what was written, not with the older copy.

import type { Pod, PodStatus } from "../../api/types.ts";

export interface StatusCache {
  /** `pod`, or `pod` with the status we wrote after the revision the informer holds. */
  newest(pod: Pod): Pod;
  /** Remembers a pod as the API server returned it from our status write. */
  wrote(pod: Pod): void;
  forget(uid: string): void;
}

/** Whether resourceVersion `a` is older than `b` (k3lite's are store revisions: integers). */
function olderThan(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

export function statusCache(): StatusCache {
  const written = new Map<string, { resourceVersion?: string; status?: PodStatus }>();
  return {
    newest(pod) {
      const mine = written.get(pod.metadata?.uid ?? "");
      if (!mine || !olderThan(pod.metadata?.resourceVersion, mine.resourceVersion)) return pod;
      return { ...pod, status: mine.status };
    },
    wrote(pod) {
      const uid = pod.metadata?.uid;
      if (uid) written.set(uid, { resourceVersion: pod.metadata?.resourceVersion, status: pod.status });
    },
    forget: (uid) => written.delete(uid),
  };
}
