// Pure Job helpers (upstream: pkg/controller/job): pod failure policy matching, completion indexes and their
// "0-2,5" notation, failure backoff, and finished-condition checks shared with the TTL and CronJob controllers.

import type { batch, Job, Pod } from "../api/types.ts";

export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";

/** Upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

export type FailureAction = "FailJob" | "Ignore" | "Count" | "FailIndex";

/** The first podFailurePolicy rule a failed pod matches, with upstream's message for FailJob. */
export function matchPodFailurePolicy(
  policy: batch.PodFailurePolicy | undefined,
  pod: Pod,
): { action: FailureAction; message: string } | undefined {
  const rules = policy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (rule.onExitCodes) {
      const req = rule.onExitCodes;
      for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
        if (req.containerName && req.containerName !== s.name) continue;
        const code = s.state?.terminated?.exitCode;
        if (code === undefined || code === 0) continue;
        const inValues = req.values.includes(code);
        if ((req.operator === "In") === inValues) {
          return {
            action: rule.action as FailureAction,
            message: `Container ${s.name} for pod ${pod.metadata?.namespace}/${pod.metadata?.name} failed with exit code ${code} matching ${rule.action} rule at index ${i}`,
          };
        }
      }
    }
    for (const pattern of rule.onPodConditions ?? []) {
      const hit = pod.status?.conditions?.some(
        (c) => c.type === pattern.type && c.status === (pattern.status ?? "True"),
      );
      if (hit) {
        return {
          action: rule.action as FailureAction,
          message: `Pod ${pod.metadata?.namespace}/${pod.metadata?.name} has condition ${pattern.type} matching ${rule.action} rule at index ${i}`,
        };
      }
    }
  }
  return undefined;
}

export function completionIndex(pod: Pod): number | undefined {
  const v =
    pod.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION] ?? pod.metadata?.labels?.[COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Sorted indexes as upstream writes status.completedIndexes: "1,3-5,7". */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : j === i + 1 ? `${sorted[i]},${sorted[j]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? "").split(",").filter(Boolean)) {
    const [a, b] = part.split("-").map(Number);
    for (let i = a; i <= (b ?? a); i++) out.add(i);
  }
  return out;
}

/** Delay before the next pod after `failures` consecutive failures: 10 s doubling, capped at 6 minutes. */
export function failureBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
}

export function finishedCondition(job: Job): batch.JobCondition | undefined {
  return job.status?.conditions?.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

/** When the pod ended (for backoff): its containers' finish time, else its last condition change. */
export function podFinishTime(pod: Pod): number {
  const times = (pod.status?.containerStatuses ?? [])
    .map((s) => s.state?.terminated?.finishedAt)
    .concat((pod.status?.conditions ?? []).map((c) => c.lastTransitionTime))
    .filter((t): t is string => !!t)
    .map((t) => Date.parse(t));
  return times.length ? Math.max(...times) : 0;
}
