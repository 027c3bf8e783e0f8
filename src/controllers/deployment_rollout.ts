// The two Deployment strategies (upstream: deployment/rolling.go, recreate.go). RollingUpdate grows the new
// ReplicaSet within maxSurge and shrinks old ones without dropping below replicas - maxUnavailable available;
// Recreate scales everything old to zero, waits until no old pod runs, then scales the new one up.

import type { Deployment, Pod, ReplicaSet } from "../api/types.ts";
import type { DeploymentSyncer } from "./deployment_sync.ts";
import {
  byCreation,
  deploymentComplete,
  maxUnavailable,
  newRSNewReplicas,
  replicasOf,
  specReplicas,
  sumReplicas,
} from "./deployment_util.ts";

export async function rolloutRolling(s: DeploymentSyncer, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await s.getAllReplicaSetsAndSyncRevision(d, rsList, true);
  if (!newRS) return;
  let all = [newRS, ...oldRSs];

  const scaledNew = await reconcileNewReplicaSet(s, all, newRS, d);
  if (scaledNew) return s.syncRolloutStatus(d, scaledNew, [scaledNew, ...oldRSs]);

  const { changed, oldRSs: olds } = await reconcileOldReplicaSets(s, all, oldRSs, newRS, d);
  all = [newRS, ...olds];
  if (changed) return s.syncRolloutStatus(d, newRS, all);

  if (deploymentComplete(d, s.calculateStatus(d, newRS, all))) await s.cleanupDeployment(d, olds);
  return s.syncRolloutStatus(d, newRS, all);
}

/** Returns the scaled new ReplicaSet, or undefined when it already has the right size. */
async function reconcileNewReplicaSet(
  s: DeploymentSyncer,
  all: ReplicaSet[],
  newRS: ReplicaSet,
  d: Deployment,
): Promise<ReplicaSet | undefined> {
  const replicas = replicasOf(d);
  if (specReplicas(newRS) === replicas) return undefined;
  const target = specReplicas(newRS) > replicas ? replicas : newRSNewReplicas(d, all, newRS);
  if (target === specReplicas(newRS)) return undefined;
  return s.scaleReplicaSet(newRS, target, d);
}

async function reconcileOldReplicaSets(
  s: DeploymentSyncer,
  all: ReplicaSet[],
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet,
  d: Deployment,
): Promise<{ changed: boolean; oldRSs: ReplicaSet[] }> {
  if (sumReplicas(oldRSs, specReplicas) === 0) return { changed: false, oldRSs };
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sumReplicas(all, specReplicas) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return { changed: false, oldRSs };

  // Unhealthy old replicas go first: removing them costs no availability.
  let cleaned = 0;
  const olds: ReplicaSet[] = [];
  for (const rs of [...oldRSs].sort(byCreation)) {
    const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
    const cut = Math.min(maxScaledDown - cleaned, unhealthy);
    if (specReplicas(rs) === 0 || cut <= 0) {
      olds.push(rs);
      continue;
    }
    olds.push(await s.scaleReplicaSet(rs, specReplicas(rs) - cut, d));
    cleaned += cut;
  }

  // Then healthy ones, as far as availability above minAvailable allows.
  const available = sumReplicas([newRS, ...olds], (rs) => rs.status?.availableReplicas);
  let budget = Math.max(0, Math.min(available - minAvailable, maxScaledDown - cleaned));
  let scaled = 0;
  const result: ReplicaSet[] = [];
  for (const rs of olds) {
    const cut = Math.min(specReplicas(rs), budget);
    if (cut <= 0) {
      result.push(rs);
      continue;
    }
    result.push(await s.scaleReplicaSet(rs, specReplicas(rs) - cut, d));
    budget -= cut;
    scaled += cut;
  }
  return { changed: cleaned + scaled > 0, oldRSs: result };
}

export async function rolloutRecreate(
  s: DeploymentSyncer,
  d: Deployment,
  rsList: ReplicaSet[],
  podsOf: (rs: ReplicaSet) => Pod[],
): Promise<void> {
  let { newRS, oldRSs } = await s.getAllReplicaSetsAndSyncRevision(d, rsList, false);
  const active = oldRSs.filter((rs) => specReplicas(rs) > 0);
  if (active.length > 0) {
    const scaled = [];
    for (const rs of active) scaled.push(await s.scaleReplicaSet(rs, 0, d));
    const rest = oldRSs.filter((rs) => !active.includes(rs));
    return s.syncRolloutStatus(d, newRS, [...(newRS ? [newRS] : []), ...rest, ...scaled]);
  }
  // Recreate promises no overlap: wait until every old pod has terminated.
  const oldRunning = oldRSs.some((rs) =>
    podsOf(rs).some((p) => p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded"),
  );
  if (oldRunning) return s.syncRolloutStatus(d, newRS, [...(newRS ? [newRS] : []), ...oldRSs]);

  if (!newRS) ({ newRS, oldRSs } = await s.getAllReplicaSetsAndSyncRevision(d, rsList, true));
  if (!newRS) return;
  newRS = await s.scaleReplicaSet(newRS, replicasOf(d), d);
  const all = [newRS, ...oldRSs];
  if (deploymentComplete(d, s.calculateStatus(d, newRS, all))) await s.cleanupDeployment(d, oldRSs);
  return s.syncRolloutStatus(d, newRS, all);
}
