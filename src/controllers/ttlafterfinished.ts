// TTLAfterFinishedController: deletes a finished Job (and, in the foreground, its pods) once
// ttlSecondsAfterFinished have passed since its Complete/Failed condition.

import type { Job } from "../api/types.ts";
import { inNamespace, jobs as jobsRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { finishedCondition } from "./job_util.ts";
import { keyOf, splitKey } from "./owner.ts";

export function startTTLAfterFinishedController(ctx: ControllerContext): Controller {
  const informer = ctx.informer<Job>(jobsRef);
  const controller = newController(ctx, "ttl-after-finished", sync);
  const onJob = (job: Job) => {
    if (job.spec?.ttlSecondsAfterFinished !== undefined && finishedCondition(job)) controller.enqueue(keyOf(job));
  };
  informer.addEventHandler({ onAdd: onJob, onUpdate: (_, j) => onJob(j) });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const job = informer.lister.get(namespace, name);
    const ttl = job?.spec?.ttlSecondsAfterFinished;
    const finished = job && finishedCondition(job);
    if (!job || ttl === undefined || !finished || job.metadata?.deletionTimestamp) return;
    const finishedAt = Date.parse(finished.lastTransitionTime ?? job.status?.completionTime ?? "");
    const left = (Number.isNaN(finishedAt) ? 0 : finishedAt) + ttl * 1000 - ctx.clock.now();
    if (left > 0) {
      controller.enqueueAfter(key, left);
      return;
    }
    try {
      await ctx.client.delete(inNamespace(jobsRef, namespace), name, {
        propagationPolicy: "Foreground",
        preconditions: { uid: job.metadata?.uid },
      });
    } catch (err) {
      if (!(err instanceof ApiError && [404, 409].includes(err.code))) throw err;
    }
  }

  return controller;
}
