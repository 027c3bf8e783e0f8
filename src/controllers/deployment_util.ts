// Pure Deployment helpers (upstream: pkg/controller/deployment/util): revisions and annotations, which
// ReplicaSet is "new", surge/unavailable fenceposts, replica arithmetic and the status conditions that
// `kubectl rollout status` reads.

import type { apps, core, Deployment, ReplicaSet } from "../api/types.ts";
import { rfc3339 } from "./clock.ts";
import { canonicalJson } from "./hash.ts";

export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas";
export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";

/** Deployment annotations never copied onto its ReplicaSets (upstream: skipCopyAnnotation). */
const SKIP_COPY = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  "deprecated.deployment.rollback.to",
]);

export function replicasOf(d: Deployment): number {
  return d.spec?.replicas ?? 1;
}

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = Number.parseInt(obj.metadata?.annotations?.[REVISION_ANNOTATION] ?? "", 10);
  return Number.isNaN(v) ? 0 : v;
}

export function maxRevision(rsList: ReplicaSet[]): number {
  return rsList.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/** Deployment annotations to carry onto a ReplicaSet (e.g. kubernetes.io/change-cause for rollout history). */
export function copiedAnnotations(d: Deployment): Record<string, string> {
  return Object.fromEntries(Object.entries(d.metadata?.annotations ?? {}).filter(([k]) => !SKIP_COPY.has(k)));
}

function withoutHash(template: core.PodTemplateSpec | undefined): unknown {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  }
  return t;
}

/** Templates equal apart from the pod-template-hash label (so a rollback finds its old ReplicaSet again). */
export function equalIgnoreHash(a: core.PodTemplateSpec | undefined, b: core.PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  return ta === tb ? (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "") : ta < tb ? -1 : 1;
}

/** The oldest ReplicaSet whose template matches the Deployment's. */
export function findNewReplicaSet(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export function sumReplicas(rsList: ReplicaSet[], field: (rs: ReplicaSet) => number | undefined): number {
  return rsList.reduce((n, rs) => n + (field(rs) ?? 0), 0);
}

export const specReplicas = (rs: ReplicaSet) => rs.spec?.replicas ?? 0;

/** An int-or-percent value resolved against `total` (percentages round up or down as upstream). */
export function intOrPercent(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
  dflt: string,
): number {
  const v = value ?? dflt;
  if (typeof v === "number") return v;
  if (v.endsWith("%")) {
    const scaled = (Number.parseInt(v.slice(0, -1), 10) * total) / 100;
    return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
  }
  return Number.parseInt(v, 10);
}

/** [maxSurge, maxUnavailable]; both zero would deadlock a rollout, so unavailable becomes 1. */
export function resolveFenceposts(d: Deployment): [number, number] {
  if (d.spec?.strategy?.type === "Recreate") return [0, 0];
  const ru = d.spec?.strategy?.rollingUpdate;
  const replicas = replicasOf(d);
  const surge = intOrPercent(ru?.maxSurge, replicas, true, "25%");
  const unavailable = intOrPercent(ru?.maxUnavailable, replicas, false, "25%");
  return surge === 0 && unavailable === 0 ? [0, 1] : [surge, unavailable];
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (d.spec?.strategy?.type === "Recreate" || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d)[1], replicas);
}

/** How many replicas the new ReplicaSet may have now (upstream: NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  const replicas = replicasOf(d);
  if (d.spec?.strategy?.type === "Recreate") return replicas;
  const [surge] = resolveFenceposts(d);
  const current = sumReplicas(allRSs, specReplicas);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, Math.max(0, replicas - specReplicas(newRS)));
  return specReplicas(newRS) + scaleUp;
}

/** The new ReplicaSet has all replicas, all available, and was told so. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = Number.parseInt(rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION] ?? "", 10);
  return (
    specReplicas(rs) === replicasOf(d) &&
    desired === replicasOf(d) &&
    (rs.status?.availableReplicas ?? 0) === replicasOf(d)
  );
}

export function getCondition(
  status: apps.DeploymentStatus | undefined,
  type: string,
): apps.DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** Sets a condition, keeping lastTransitionTime when the status did not change (as upstream); an unchanged
 * condition is left alone unless `touch` (progress refreshes lastUpdateTime, which the deadline counts from). */
export function setCondition(status: apps.DeploymentStatus, cond: apps.DeploymentCondition, touch = false): void {
  const conditions = status.conditions ?? [];
  const old = conditions.find((c) => c.type === cond.type);
  if (old && old.status === cond.status && old.reason === cond.reason && !touch) return;
  const next = { ...cond };
  if (old && old.status === cond.status) next.lastTransitionTime = old.lastTransitionTime;
  status.conditions = [...conditions.filter((c) => c.type !== cond.type), next];
}

export function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: number,
): apps.DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/** Everything updated, available, and the controller has seen the latest spec. */
export function deploymentComplete(d: Deployment, status: apps.DeploymentStatus): boolean {
  const replicas = replicasOf(d);
  return (
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** Any sign of progress since the last status (upstream: DeploymentProgressing). */
export function deploymentProgressing(d: Deployment, next: apps.DeploymentStatus): boolean {
  const prev = d.status ?? {};
  const oldPrev = (prev.replicas ?? 0) - (prev.updatedReplicas ?? 0);
  const oldNext = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (prev.updatedReplicas ?? 0) ||
    oldNext < oldPrev ||
    (next.readyReplicas ?? 0) > (prev.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (prev.availableReplicas ?? 0)
  );
}

export function progressDeadlineMs(d: Deployment): number | undefined {
  const s = d.spec?.progressDeadlineSeconds ?? 600;
  return s >= 2 ** 31 - 1 ? undefined : s * 1000; // MaxInt32 means "no deadline"
}

/** Whether the Progressing condition's last update is older than progressDeadlineSeconds. */
export function deploymentTimedOut(d: Deployment, status: apps.DeploymentStatus, now: number): boolean {
  const deadline = progressDeadlineMs(d);
  const cond = getCondition(status, "Progressing");
  if (deadline === undefined || !cond || cond.reason === "NewReplicaSetAvailable") return false;
  if (cond.reason === "ProgressDeadlineExceeded") return true;
  const from = Date.parse(cond.lastUpdateTime ?? cond.lastTransitionTime ?? "");
  return !Number.isNaN(from) && from + deadline < now;
}
