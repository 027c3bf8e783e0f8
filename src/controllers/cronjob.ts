// CronJobController (upstream's cronjob v2): creates a Job per schedule time (named <cronjob>-<minutes since
// epoch>), honouring suspend, startingDeadlineSeconds, concurrencyPolicy Allow/Forbid/Replace and time zones;
// tracks active Jobs and lastScheduleTime/lastSuccessfulTime; prunes finished Jobs beyond the history limits.
// All times come from the injectable clock, so schedules are tested by stepping a FakeClock.

import type { batch, CronJob, core, Job } from "../api/types.ts";
import { cronjobs as cronjobsRef, inNamespace, jobs as jobsRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { writeStatus } from "./apiutil.ts";
import { rfc3339 } from "./clock.ts";
import { isKnownTimeZone, missedRuns, parseSchedule } from "./cronjob_schedule.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { finishedCondition } from "./job_util.ts";
import { controllerRef, getControllerOf, keyOf, splitKey } from "./owner.ts";

export const cronJobKind = { group: "batch", version: "v1", kind: "CronJob" };
export const SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/** Job name for a schedule time: the CronJob's name and the time in minutes (upstream: getJobName). */
export function jobNameFor(cj: CronJob, scheduledMs: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduledMs / 60_000)}`;
}

export function startCronJobController(ctx: ControllerContext): Controller {
  const cjInformer = ctx.informer<CronJob>(cronjobsRef);
  const jobInformer = ctx.informer<Job>(jobsRef);
  const controller = newController(ctx, "cronjob", syncCronJob);
  cjInformer.addEventHandler({
    onAdd: (cj) => controller.enqueue(keyOf(cj)),
    onUpdate: (_, cj) => controller.enqueue(keyOf(cj)),
  });
  const onJob = (job: Job) => {
    const ref = getControllerOf(job);
    if (ref?.kind === "CronJob") controller.enqueue(`${job.metadata?.namespace}/${ref.name}`);
  };
  jobInformer.addEventHandler({ onAdd: onJob, onUpdate: (_, j) => onJob(j), onDelete: onJob });

  async function syncCronJob(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = cjInformer.lister.get(namespace, name);
    if (!cached) return;
    const cj = structuredClone(cached);
    const jobs = jobInformer.lister.list(namespace).filter((j) => getControllerOf(j)?.uid === cj.metadata?.uid);
    const status: batch.CronJobStatus = structuredClone(cj.status ?? {});
    trackJobs(cj, jobs, status);
    await cleanupFinishedJobs(cj, jobs);
    if (cj.metadata?.deletionTimestamp) return updateStatus(cj, status);

    let cron: ReturnType<typeof parseSchedule>;
    try {
      cron = parseSchedule(cj.spec?.schedule ?? "", cj.spec?.timeZone);
    } catch (err) {
      const badZone = cj.spec?.timeZone && !isKnownTimeZone(cj.spec.timeZone);
      if (badZone) ctx.recorder.event(cj, "Warning", "UnknownTimeZone", `invalid timeZone: "${cj.spec?.timeZone}"`);
      else {
        const msg = `unparseable schedule: "${cj.spec?.schedule}" : ${(err as Error).message}`;
        ctx.recorder.event(cj, "Warning", "UnparseableSchedule", msg);
      }
      return updateStatus(cj, status);
    }
    if (cj.spec?.suspend) return updateStatus(cj, status);

    const now = ctx.clock.now();
    const deadline = cj.spec?.startingDeadlineSeconds;
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? "") || now;
    if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
    const runs = missedRuns(cron, earliest, now);
    if (runs.next !== undefined) controller.enqueueAfter(key, runs.next - now + 100);
    if (runs.mostRecent === undefined) return updateStatus(cj, status);
    if (runs.missed > 100) {
      ctx.recorder.event(
        cj,
        "Warning",
        "TooManyMissedTimes",
        `too many missed start times: ${runs.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
      );
    }
    const scheduled = runs.mostRecent;
    if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
      ctx.recorder.event(cj, "Warning", "MissSchedule", `Missed scheduled time to start a job: ${rfc3339(scheduled)}`);
      return updateStatus(cj, status);
    }
    const jobName = jobNameFor(cj, scheduled);
    if (jobs.some((j) => j.metadata?.name === jobName)) return updateStatus(cj, status);

    const policy = cj.spec?.concurrencyPolicy ?? "Allow";
    if (policy === "Forbid" && (status.active?.length ?? 0) > 0) {
      ctx.recorder.event(
        cj,
        "Normal",
        "JobAlreadyActive",
        "Not starting job because prior execution is running and concurrency policy is Forbid",
      );
      return updateStatus(cj, status);
    }
    if (policy === "Replace") {
      for (const ref of status.active ?? []) await deleteJob(cj, ref.name ?? "");
      status.active = [];
    }
    const created = await createJob(cj, jobName, scheduled);
    if (created) {
      status.active = [...(status.active ?? []), jobReference(created)];
      status.lastScheduleTime = rfc3339(scheduled);
    }
    return updateStatus(cj, status);
  }

  /** status.active holds the unfinished Jobs; finished ones are reported once and set lastSuccessfulTime. */
  function trackJobs(cj: CronJob, jobs: Job[], status: batch.CronJobStatus) {
    const byUid = new Map(jobs.map((j) => [j.metadata?.uid, j]));
    const active: core.ObjectReference[] = [];
    for (const ref of status.active ?? []) {
      const job = byUid.get(ref.uid);
      if (!job) continue;
      const done = finishedCondition(job);
      if (!done) {
        active.push(ref);
        continue;
      }
      ctx.recorder.event(
        cj,
        "Normal",
        "SawCompletedJob",
        `Saw completed job: ${job.metadata?.name}, condition: ${done.type}`,
      );
      if (done.type === "Complete") {
        const at = job.status?.completionTime ?? done.lastTransitionTime;
        if (at && (!status.lastSuccessfulTime || at > status.lastSuccessfulTime)) status.lastSuccessfulTime = at;
      }
    }
    for (const job of jobs) {
      if (!finishedCondition(job) && !active.some((r) => r.uid === job.metadata?.uid)) active.push(jobReference(job));
    }
    status.active = active.length ? active : undefined;
    if (!status.active) delete status.active;
  }

  async function cleanupFinishedJobs(cj: CronJob, jobs: Job[]) {
    const finished = (type: string) =>
      jobs
        .filter((j) => finishedCondition(j)?.type === type && !j.metadata?.deletionTimestamp)
        .sort((a, b) =>
          (a.status?.startTime ?? a.metadata?.creationTimestamp ?? "").localeCompare(
            b.status?.startTime ?? b.metadata?.creationTimestamp ?? "",
          ),
        );
    const prune = async (list: Job[], limit: number) => {
      for (const job of list.slice(0, Math.max(0, list.length - limit))) await deleteJob(cj, job.metadata?.name ?? "");
    };
    await prune(finished("Complete"), cj.spec?.successfulJobsHistoryLimit ?? 3);
    await prune(finished("Failed"), cj.spec?.failedJobsHistoryLimit ?? 1);
  }

  async function createJob(cj: CronJob, name: string, scheduled: number): Promise<Job | undefined> {
    const template = cj.spec?.jobTemplate;
    const job: Job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name,
        namespace: cj.metadata?.namespace,
        labels: { ...(template?.metadata?.labels ?? {}) },
        annotations: {
          ...(template?.metadata?.annotations ?? {}),
          [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduled),
        },
        ownerReferences: [controllerRef(cj, cronJobKind)],
      },
      spec: structuredClone(template?.spec) as Job["spec"],
    };
    try {
      const created = await ctx.client.create<Job>(inNamespace(jobsRef, cj.metadata?.namespace), job);
      ctx.recorder.event(cj, "Normal", "SuccessfulCreate", `Created job ${name}`);
      return created;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) return undefined; // made on an earlier pass
      ctx.recorder.event(cj, "Warning", "FailedCreate", `Error creating job: ${(err as Error).message}`);
      throw err;
    }
  }

  async function deleteJob(cj: CronJob, name: string) {
    try {
      await ctx.client.delete(inNamespace(jobsRef, cj.metadata?.namespace), name, { propagationPolicy: "Background" });
      ctx.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${name}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  async function updateStatus(cj: CronJob, status: batch.CronJobStatus): Promise<void> {
    await writeStatus(ctx.client, cronjobsRef, cj, status);
  }

  return controller;
}

function jobReference(job: Job): core.ObjectReference {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    name: job.metadata?.name,
    namespace: job.metadata?.namespace,
    uid: job.metadata?.uid,
    resourceVersion: job.metadata?.resourceVersion,
  };
}
