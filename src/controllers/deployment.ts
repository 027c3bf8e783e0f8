// DeploymentController: owns ReplicaSets through ownerReferences and rolls pods from one template to the next
// (RollingUpdate or Recreate), pauses, scales proportionally, keeps revision history, and reports status
// and conditions for `kubectl rollout status/history/undo`.

import { selectorMatches } from "../api/selector.ts";
import type { Deployment, Pod, ReplicaSet } from "../api/types.ts";
import { deployments as deploymentsRef, inNamespace, pods as podsRef, replicasets as rsRef } from "../client/refs.ts";
import { claimObjects, ownerKeyOf } from "./claim.ts";
import { rolloutRecreate, rolloutRolling } from "./deployment_rollout.ts";
import { DeploymentSyncer, deploymentKind } from "./deployment_sync.ts";
import {
  condition,
  DESIRED_REPLICAS_ANNOTATION,
  getCondition,
  replicasOf,
  setCondition,
  specReplicas,
} from "./deployment_util.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { keyOf, splitKey } from "./owner.ts";

export function startDeploymentController(ctx: ControllerContext): Controller {
  const dInformer = ctx.informer<Deployment>(deploymentsRef);
  const rsInformer = ctx.informer<ReplicaSet>(rsRef);
  const podInformer = ctx.informer<Pod>(podsRef);
  const controller = newController(ctx, "deployment", syncDeployment);
  const syncer = new DeploymentSyncer(ctx, (d, ms) => controller.enqueueAfter(keyOf(d), ms));

  dInformer.addEventHandler({
    onAdd: (d) => controller.enqueue(keyOf(d)),
    onUpdate: (_, d) => controller.enqueue(keyOf(d)),
    onDelete: (d) => controller.enqueue(keyOf(d)),
  });

  function deploymentsFor(rs: ReplicaSet): string[] {
    const owner = ownerKeyOf(rs, "Deployment");
    if (owner) return [owner];
    return dInformer.lister
      .list(rs.metadata?.namespace)
      .filter((d) => selectorMatches(d.spec?.selector, rs.metadata?.labels))
      .map(keyOf);
  }
  const onRS = (rs: ReplicaSet) => {
    for (const key of deploymentsFor(rs)) controller.enqueue(key);
  };
  rsInformer.addEventHandler({
    onAdd: onRS,
    onUpdate: (old, rs) => {
      onRS(old);
      onRS(rs);
    },
    onDelete: onRS,
  });

  // Recreate waits for old pods to be gone, so their deletion must wake the Deployment.
  podInformer.addEventHandler({
    onDelete: (pod) => {
      const rsKey = ownerKeyOf(pod, "ReplicaSet");
      if (!rsKey) return;
      const { namespace, name } = splitKey(rsKey);
      const rs = rsInformer.lister.get(namespace, name);
      if (rs) onRS(rs);
    },
  });

  async function syncDeployment(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = dInformer.lister.get(namespace, name);
    if (!cached) return;
    const d = structuredClone(cached);
    const selector = d.spec?.selector;
    if (!selector || (!selector.matchLabels && !selector.matchExpressions)) {
      ctx.recorder.event(
        d,
        "Warning",
        "SelectingAll",
        "This deployment is selecting all pods. A non-empty selector is required.",
      );
      return;
    }
    const candidates = rsInformer.lister.list(namespace);
    const rsList = await claimObjects(ctx.client, d, deploymentKind, candidates, inNamespace(rsRef, namespace));

    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await syncer.getAllReplicaSetsAndSyncRevision(d, rsList, false);
      return syncer.updateStatus(d, syncer.calculateStatus(d, newRS, [...(newRS ? [newRS] : []), ...oldRSs]));
    }
    await checkPausedConditions(d);
    if (d.spec?.paused || isScalingEvent(d, rsList)) return scaleOnly(d, rsList);
    if (d.spec?.strategy?.type === "Recreate") {
      const pods = podInformer.lister.list(namespace);
      const podsOf = (rs: ReplicaSet) =>
        pods.filter((p) => p.metadata?.ownerReferences?.some((r) => r.uid === rs.metadata?.uid));
      return rolloutRecreate(syncer, d, rsList, podsOf);
    }
    return rolloutRolling(syncer, d, rsList);
  }

  /** Pausing and resuming show in the Progressing condition, which also stops the deadline while paused. */
  async function checkPausedConditions(d: Deployment): Promise<void> {
    const cond = getCondition(d.status, "Progressing");
    if (cond?.reason === "ProgressDeadlineExceeded") return;
    const paused = !!d.spec?.paused;
    const now = ctx.clock.now();
    const status = structuredClone(d.status ?? {});
    if (paused && cond?.reason !== "DeploymentPaused") {
      setCondition(status, condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now));
    } else if (!paused && cond?.reason === "DeploymentPaused") {
      setCondition(status, condition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now));
    } else {
      return;
    }
    await syncer.updateStatus(d, status);
  }

  /** A replicas change (not a template change) on some active ReplicaSet's record of the desired count. */
  function isScalingEvent(d: Deployment, rsList: ReplicaSet[]): boolean {
    return rsList.some((rs) => {
      if (specReplicas(rs) === 0) return false;
      const desired = rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION];
      return desired !== undefined && desired !== String(replicasOf(d));
    });
  }

  async function scaleOnly(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await syncer.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await syncer.scale(d, newRS, oldRSs);
    // Re-read after scaling so status reflects what we just wrote.
    const fresh = (rs: ReplicaSet) => rsInformer.lister.get(rs.metadata?.namespace, rs.metadata?.name ?? "") ?? rs;
    const all = [...(newRS ? [fresh(newRS)] : []), ...oldRSs.map(fresh)];
    if (d.spec?.paused) await syncer.cleanupDeployment(d, oldRSs.map(fresh));
    await syncer.updateStatus(d, syncer.calculateStatus(d, newRS ? fresh(newRS) : undefined, all));
  }

  return controller;
}
