// JobController: runs pods to completion — parallelism, completions (NonIndexed or Indexed with a completion
// index per pod), backoffLimit with exponential delay between failures, activeDeadlineSeconds, podFailurePolicy
// and suspend — and reports active/ready/succeeded/failed and Complete/Failed conditions.

import { selectorMatches } from "../api/selector.ts";
import type { batch, Job, Pod } from "../api/types.ts";
import { inNamespace, jobs as jobsRef, pods as podsRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { writeStatus } from "./apiutil.ts";
import { claimObjects, ownerKeyOf } from "./claim.ts";
import { rfc3339 } from "./clock.ts";
import { ControllerExpectations } from "./expectations.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import {
  COMPLETION_INDEX_ANNOTATION,
  CONTROLLER_UID_LABEL,
  completionIndex,
  failureBackoffMs,
  finishedCondition,
  formatIndexes,
  JOB_NAME_LABEL,
  matchPodFailurePolicy,
  podFinishTime,
} from "./job_util.ts";
import { keyOf, splitKey } from "./owner.ts";
import { isPodActive, isPodReady, podFromTemplate, sortPodsForDeletion } from "./podutil.ts";
import { slowStartBatch } from "./replicaset.ts";

export const jobKind = { group: "batch", version: "v1", kind: "Job" };

export function startJobController(ctx: ControllerContext): Controller {
  const jobInformer = ctx.informer<Job>(jobsRef);
  const podInformer = ctx.informer<Pod>(podsRef);
  const expectations = new ControllerExpectations(ctx.clock);
  const controller = newController(ctx, "job", syncJob);

  jobInformer.addEventHandler({
    onAdd: (j) => controller.enqueue(keyOf(j)),
    onUpdate: (_, j) => controller.enqueue(keyOf(j)),
    onDelete: (j) => expectations.deleteExpectations(keyOf(j)),
  });
  podInformer.addEventHandler({
    onAdd: (p) => {
      const owner = ownerKeyOf(p, "Job");
      if (!owner) return;
      expectations.creationObserved(owner);
      controller.enqueue(owner);
    },
    onUpdate: (_, p) => {
      const owner = ownerKeyOf(p, "Job");
      if (owner) controller.enqueue(owner);
    },
    onDelete: (p) => {
      const owner = ownerKeyOf(p, "Job");
      if (!owner) return;
      expectations.deletionObserved(owner, p.metadata?.uid);
      controller.enqueue(owner);
    },
  });

  async function syncJob(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = jobInformer.lister.get(namespace, name);
    if (!cached) {
      expectations.deleteExpectations(key);
      return;
    }
    const job = structuredClone(cached);
    if (!expectations.satisfied(key)) return;
    const ref = inNamespace(podsRef, namespace);
    const match = (p: Pod) =>
      job.spec?.selector ? selectorMatches(job.spec.selector, p.metadata?.labels) : ownerKeyOf(p, "Job") === key;
    const pods = await claimObjects(ctx.client, job, jobKind, podInformer.lister.list(namespace), ref, match);
    const active = pods.filter(isPodActive);
    if (finishedCondition(job)) {
      await deletePods(job, active, key);
      return;
    }

    const now = ctx.clock.now();
    const status: batch.JobStatus = structuredClone(job.status ?? {});
    const indexed = job.spec?.completionMode === "Indexed";
    const succeededPods = pods.filter((p) => p.status?.phase === "Succeeded");
    const failedPods = pods.filter((p) => p.status?.phase === "Failed");
    const verdicts = failedPods.map((p) => matchPodFailurePolicy(job.spec?.podFailurePolicy, p));
    const counted = failedPods.filter((_, i) => verdicts[i]?.action !== "Ignore");
    const completed = new Set(succeededPods.map(completionIndex).filter((i): i is number => i !== undefined));
    status.succeeded = Math.max(status.succeeded ?? 0, indexed ? completed.size : succeededPods.length);
    status.failed = Math.max(status.failed ?? 0, counted.length);
    if (indexed) status.completedIndexes = formatIndexes(completed);
    if (!job.spec?.suspend && !status.startTime) status.startTime = rfc3339(now);

    const failure = jobFailure(job, status, verdicts, now);
    const completions = job.spec?.completions;
    const complete = indexed
      ? completed.size >= (completions ?? 1)
      : completions === undefined || completions === null
        ? status.succeeded > 0 && active.length === 0
        : status.succeeded >= completions;
    if (failure || complete) {
      await deletePods(job, active, key);
      const t = rfc3339(now);
      const type = failure ? "Failed" : "Complete";
      const cond: batch.JobCondition = { type, status: "True", lastProbeTime: t, lastTransitionTime: t };
      if (failure) Object.assign(cond, failure);
      // Upstream first records the target condition, then the final one; clients wait on either.
      const target = failure ? "FailureTarget" : "SuccessCriteriaMet";
      status.conditions = [...(status.conditions ?? []), { ...cond, type: target }, cond];
      status.active = 0;
      status.ready = 0;
      if (!failure) status.completionTime = t;
      if (failure) ctx.recorder.event(job, "Warning", failure.reason, failure.message);
      else ctx.recorder.event(job, "Normal", "Completed", "Job completed");
      return updateStatus(job, status);
    }

    if (job.spec?.suspend) {
      await deletePods(job, active, key);
      setSuspended(status, true, now);
      status.active = 0;
      status.ready = 0;
      return updateStatus(job, status);
    }
    setSuspended(status, false, now);

    await manageActive({ ...job, status }, active, completed, counted, key, now);
    const deadline = job.spec?.activeDeadlineSeconds;
    if (deadline && status.startTime)
      controller.enqueueAfter(key, Date.parse(status.startTime) + deadline * 1000 - now + 1);
    status.active = active.length;
    status.ready = active.filter(isPodReady).length;
    await updateStatus(job, status);
  }

  function jobFailure(
    job: Job,
    status: batch.JobStatus,
    verdicts: ReturnType<typeof matchPodFailurePolicy>[],
    now: number,
  ): { reason: string; message: string } | undefined {
    const failJob = verdicts.find((v) => v?.action === "FailJob");
    if (failJob) return { reason: "PodFailurePolicy", message: failJob.message };
    if ((status.failed ?? 0) > (job.spec?.backoffLimit ?? 6)) {
      return { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
    }
    const deadline = job.spec?.activeDeadlineSeconds;
    if (deadline && status.startTime && now - Date.parse(status.startTime) >= deadline * 1000) {
      return { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
    }
    return undefined;
  }

  function setSuspended(status: batch.JobStatus, suspended: boolean, now: number) {
    const cur = status.conditions?.find((c) => c.type === "Suspended");
    if (suspended === (cur?.status === "True") || (!suspended && !cur)) return;
    const t = rfc3339(now);
    const cond: batch.JobCondition = suspended
      ? {
          type: "Suspended",
          status: "True",
          reason: "JobSuspended",
          message: "Job suspended",
          lastProbeTime: t,
          lastTransitionTime: t,
        }
      : {
          type: "Suspended",
          status: "False",
          reason: "JobResumed",
          message: "Job resumed",
          lastProbeTime: t,
          lastTransitionTime: t,
        };
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== "Suspended"), cond];
    if (!suspended) status.startTime = t; // a resumed Job's deadline counts from now, as upstream
  }

  /** Creates or deletes pods toward min(parallelism, what remains to complete). */
  async function manageActive(
    job: Job,
    active: Pod[],
    completed: Set<number>,
    failed: Pod[],
    key: string,
    now: number,
  ) {
    const parallelism = job.spec?.parallelism ?? 1;
    const completions = job.spec?.completions;
    const indexed = job.spec?.completionMode === "Indexed";
    let pending: number[] = [];
    let want: number;
    if (indexed) {
      const running = new Set(active.map(completionIndex));
      for (let i = 0; i < (completions ?? 1); i++) if (!completed.has(i) && !running.has(i)) pending.push(i);
      want = Math.min(parallelism, active.length + pending.length);
    } else if (completions === undefined || completions === null) {
      want = (job.status?.succeeded ?? 0) > 0 ? 0 : parallelism;
    } else {
      want = Math.max(0, Math.min(parallelism, completions - (job.status?.succeeded ?? 0)));
    }
    if (active.length > want) {
      await deletePods(job, sortPodsForDeletion(active).slice(0, active.length - want), key);
      return;
    }
    const missing = want - active.length;
    if (missing <= 0) return;
    // Exponential backoff after failures, counted from the most recent one.
    const lastFailure = Math.max(0, ...failed.map(podFinishTime));
    const wait = lastFailure + failureBackoffMs(failed.length) - now;
    if (failed.length > 0 && wait > 0) {
      controller.enqueueAfter(key, wait);
      return;
    }
    pending = pending.slice(0, missing);
    const ref = inNamespace(podsRef, job.metadata?.namespace);
    expectations.expectCreations(key, missing);
    let next = 0;
    const created = await slowStartBatch(missing, async () => {
      const index = indexed ? pending[next++] : undefined;
      try {
        const pod = await ctx.client.create<Pod>(ref, jobPod(job, index));
        ctx.recorder.event(job, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata?.name}`);
      } catch (err) {
        expectations.creationSkipped(key);
        ctx.recorder.event(job, "Warning", "FailedCreate", `Error creating: ${(err as Error).message}`);
        throw err;
      }
    });
    for (let i = created; i < missing; i++) expectations.creationSkipped(key);
  }

  async function deletePods(job: Job, pods: Pod[], key: string) {
    if (pods.length === 0) return;
    expectations.expectDeletions(
      key,
      pods.map((p) => p.metadata?.uid ?? ""),
    );
    const ref = inNamespace(podsRef, job.metadata?.namespace);
    await Promise.all(
      pods.map(async (pod) => {
        try {
          await ctx.client.delete(ref, pod.metadata?.name ?? "");
          ctx.recorder.event(job, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata?.name}`);
        } catch (err) {
          expectations.deletionObserved(key, pod.metadata?.uid);
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }),
    );
  }

  async function updateStatus(job: Job, status: batch.JobStatus): Promise<void> {
    await writeStatus(ctx.client, jobsRef, job, status);
  }

  return controller;
}

/** A Job's pod: job-name/controller-uid labels, and for Indexed Jobs the completion index and hostname. */
export function jobPod(job: Job, index?: number): Pod {
  const name = job.metadata?.name ?? "";
  const labels: Record<string, string> = {
    [JOB_NAME_LABEL]: name,
    [CONTROLLER_UID_LABEL]: job.metadata?.uid ?? "",
    "job-name": name,
    "controller-uid": job.metadata?.uid ?? "",
  };
  const annotations: Record<string, string> = {};
  if (index !== undefined) {
    labels[COMPLETION_INDEX_ANNOTATION] = String(index);
    annotations[COMPLETION_INDEX_ANNOTATION] = String(index);
  }
  const pod = podFromTemplate(job.spec?.template ?? { spec: { containers: [] } }, job, jobKind, {
    generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
    labels,
    annotations,
  });
  if (index !== undefined && pod.spec) {
    pod.spec.hostname = `${name}-${index}`;
    for (const c of pod.spec.containers ?? []) {
      c.env = [...(c.env ?? []), { name: "JOB_COMPLETION_INDEX", value: String(index) }];
    }
  }
  return pod;
}
