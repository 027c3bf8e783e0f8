// The scheduler behind leader election: among servers sharing a datastore, only the holder of the
// kube-system/kube-scheduler Lease schedules; another takes over when it stops renewing.

import type { KubeClient } from "../client/types.ts";
import { type LeaderElector, runWithLeaderElection } from "../controllers/leaderelection.ts";
import { type SchedulerHandle, type SchedulerOptions, startScheduler } from "./scheduler.ts";

export interface LeaderElectedSchedulerOptions extends SchedulerOptions {
  /** This candidate's name in the Lease, e.g. the server's node name plus a random suffix. */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export function startLeaderElectedScheduler(client: KubeClient, opts: LeaderElectedSchedulerOptions): LeaderElector {
  return runWithLeaderElection<SchedulerHandle>(
    client,
    {
      lockName: "kube-scheduler",
      namespace: "kube-system",
      identity: opts.identity,
      leaseDurationSeconds: opts.leaseDurationSeconds,
      renewDeadlineMs: opts.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs,
    },
    {
      onStartedLeading: () => startScheduler(client, opts),
      onStoppedLeading: (scheduler) => scheduler.stop(),
    },
  );
}
