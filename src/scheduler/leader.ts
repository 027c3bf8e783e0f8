// The scheduler behind leader election: among servers sharing a datastore, only the holder of the
// kube-system/kube-scheduler Lease schedules; another takes over when it stops renewing.

import { type LeaderElector, startLeaderElection } from "../client/leaderelection.ts";
import type { KubeClient } from "../client/types.ts";
import { type SchedulerOptions, startScheduler } from "./scheduler.ts";

export interface LeaderElectedSchedulerOptions extends SchedulerOptions {
  /** This candidate's name in the Lease, e.g. the server's node name plus a random suffix. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export function startLeaderElectedScheduler(client: KubeClient, opts: LeaderElectedSchedulerOptions): LeaderElector {
  return startLeaderElection(client, {
    namespace: "kube-system",
    name: "kube-scheduler",
    identity: opts.identity,
    leaseDurationMs: opts.leaseDurationMs,
    renewDeadlineMs: opts.renewDeadlineMs,
    retryPeriodMs: opts.retryPeriodMs,
    onStartedLeading: () => startScheduler(client, opts),
  });
}
