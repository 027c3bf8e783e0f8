// Pod state as controllers judge it (active, ready, available after minReadySeconds) and pods stamped from a
// workload's template with the controller's ownerReference.

import type { core, KubeObject, meta, Pod } from "../api/types.ts";
import { controllerRef, type GroupVersionKind } from "./owner.ts";

/** Not finished and not being deleted: counts toward a controller's replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata?.deletionTimestamp;
}

export function podReadyCondition(pod: Pod): core.PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === "Ready");
}

export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === "True";
}

/** Ready for at least minReadySeconds (upstream: podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const cond = podReadyCondition(pod);
  if (cond?.status !== "True") return false;
  if (!minReadySeconds) return true;
  const since = cond.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : Number.NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready pod becomes available, or undefined if that is not pending. */
export function untilAvailable(pod: Pod, minReadySeconds: number, now: number): number | undefined {
  const cond = podReadyCondition(pod);
  if (!minReadySeconds || cond?.status !== "True" || !cond.lastTransitionTime) return undefined;
  const left = Date.parse(cond.lastTransitionTime) + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}

/** A new pod from a template, owned by `owner`; the API server fills in the name from generateName. */
export function podFromTemplate(
  template: core.PodTemplateSpec,
  owner: KubeObject,
  gvk: GroupVersionKind,
  overrides: {
    name?: string;
    generateName?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  } = {},
): Pod {
  const meta: meta.ObjectMeta = {
    labels: {
      ...(template.metadata?.labels ?? {}),
      ...(overrides.labels ?? {}),
    },
    annotations: {
      ...(template.metadata?.annotations ?? {}),
      ...(overrides.annotations ?? {}),
    },
    ownerReferences: [controllerRef(owner, gvk)],
    namespace: owner.metadata?.namespace,
  };
  if (template.metadata?.finalizers) meta.finalizers = [...template.metadata.finalizers];
  if (overrides.name) meta.name = overrides.name;
  else meta.generateName = overrides.generateName ?? `${owner.metadata?.name}-`;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta,
    spec: structuredClone(template.spec) as core.PodSpec,
  };
}

/** Upstream's ranking of which pods to delete first when scaling down (ActivePods sort, simplified). */
export function deletionCost(pod: Pod): number[] {
  const ready = isPodReady(pod);
  const cond = podReadyCondition(pod);
  const restarts = (pod.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0);
  const readySince = cond?.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : 0;
  const created = pod.metadata?.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : 0;
  const phaseRank = pod.status?.phase === "Pending" ? 1 : pod.status?.phase === "Running" ? 2 : 0;
  // Unassigned < assigned; Pending < Unknown < Running; not ready < ready; newer ready first; more restarts first.
  return [pod.spec?.nodeName ? 1 : 0, phaseRank, ready ? 1 : 0, -readySince, -restarts, -created];
}

/** Sort so the pods to delete first come first. */
export function sortPodsForDeletion(pods: Pod[]): Pod[] {
  return [...pods].sort((a, b) => {
    const ca = deletionCost(a);
    const cb = deletionCost(b);
    for (let i = 0; i < ca.length; i++) if (ca[i] !== cb[i]) return ca[i] - cb[i];
    return 0;
  });
}
