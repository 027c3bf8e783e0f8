// How the agent names what it creates in CRI, with the kubelet's own label keys, so containers and sandboxes
// can be matched back to their pods after a restart (adoption) and by tools that know the kubelet's labels.

import { join } from "node:path";
import type { Pod } from "../../api/types.ts";
import type { Container, PodSandbox } from "../cri/types.ts";

export const POD_NAME = "io.kubernetes.pod.name";
export const POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const POD_UID = "io.kubernetes.pod.uid";
export const CONTAINER_NAME = "io.kubernetes.container.name";
/** Annotation on containers: hash of the container spec that created it (a changed spec restarts it). */
export const CONTAINER_HASH = "io.kubernetes.container.hash";
export const TERMINATION_MESSAGE_PATH = "io.kubernetes.container.terminationMessagePath";
/** Label on sandboxes and containers: which k3lite node agent manages them. */
export const MANAGED_BY = "io.k3lite.managed";

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
}

export function podIdentity(pod: Pod): PodIdentity {
  return {
    name: pod.metadata?.name ?? "",
    namespace: pod.metadata?.namespace ?? "default",
    uid: pod.metadata?.uid ?? "",
  };
}

export function podLabels(id: PodIdentity): Record<string, string> {
  return { [POD_NAME]: id.name, [POD_NAMESPACE]: id.namespace, [POD_UID]: id.uid, [MANAGED_BY]: "true" };
}

export function identityOf(obj: PodSandbox | Container): PodIdentity | undefined {
  const l = obj.labels ?? {};
  if (!l[POD_UID]) return undefined;
  return { name: l[POD_NAME] ?? "", namespace: l[POD_NAMESPACE] ?? "", uid: l[POD_UID] };
}

/** <podLogsDir>/<namespace>_<name>_<uid>, as the kubelet lays out /var/log/pods. */
export function podLogDirectory(podLogsDir: string, id: PodIdentity): string {
  return join(podLogsDir, `${id.namespace}_${id.name}_${id.uid}`);
}

/** Relative to the pod's log directory: <container>/<restartCount>.log. */
export function containerLogPath(container: string, attempt: number): string {
  return `${container}/${attempt}.log`;
}

/** A stable hash of a container's spec (FNV-1a over its JSON), to notice spec changes. */
export function containerHash(spec: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(spec)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}
