// The Deployment controller's shared steps (upstream: deployment/sync.go): find or create the new ReplicaSet
// and keep revisions in step, scale ReplicaSets (with ScalingReplicaSet events), proportional scaling while
// paused or mid-rollout, history cleanup, and the status/conditions `kubectl rollout status` waits on.

import type { apps, Deployment, ReplicaSet } from "../api/types.ts";
import { deployments as deploymentsRef, inNamespace, replicasets as rsRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import {
  byCreation,
  condition,
  copiedAnnotations,
  DESIRED_REPLICAS_ANNOTATION,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  equalIgnoreHash,
  findNewReplicaSet,
  getCondition,
  isSaturated,
  MAX_REPLICAS_ANNOTATION,
  maxRevision,
  maxUnavailable,
  newRSNewReplicas,
  POD_TEMPLATE_HASH_LABEL,
  progressDeadlineMs,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  replicasOf,
  resolveFenceposts,
  revisionOf,
  setCondition,
  specReplicas,
  sumReplicas,
} from "./deployment_util.ts";
import type { ControllerContext } from "./framework.ts";
import { computeHash } from "./hash.ts";
import { controllerRef } from "./owner.ts";

export const deploymentKind = { group: "apps", version: "v1", kind: "Deployment" };

export class DeploymentSyncer {
  constructor(
    private ctx: ControllerContext,
    /** Asks for another sync of the Deployment after `ms` (deadline checks). */
    private requeueAfter: (d: Deployment, ms: number) => void,
  ) {}

  /** The new ReplicaSet (created when `create` and missing) and the old ones, with revisions brought up to date. */
  async getAllReplicaSetsAndSyncRevision(
    d: Deployment,
    rsList: ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const existing = findNewReplicaSet(d, rsList);
    const oldRSs = rsList.filter((rs) => rs.metadata?.uid !== existing?.metadata?.uid);
    const newRevision = maxRevision(oldRSs) + 1;
    let newRS: ReplicaSet | undefined;
    if (existing) newRS = await this.syncExistingNewRS(d, existing, newRevision);
    else if (create) newRS = await this.createNewRS(d, rsList, newRevision);
    if (newRS) await this.setDeploymentRevision(d, String(revisionOf(newRS)));
    return { newRS, oldRSs };
  }

  /** A ReplicaSet we roll back to takes the next revision, remembering its earlier ones (rollout history). */
  private async syncExistingNewRS(d: Deployment, rs: ReplicaSet, newRevision: number): Promise<ReplicaSet> {
    const annotations = { ...(rs.metadata?.annotations ?? {}), ...copiedAnnotations(d) };
    const old = revisionOf(rs);
    if (old < newRevision) {
      annotations[REVISION_ANNOTATION] = String(newRevision);
      if (old > 0) {
        const history = annotations[REVISION_HISTORY_ANNOTATION];
        annotations[REVISION_HISTORY_ANNOTATION] = history ? `${history},${old}` : String(old);
      }
    }
    const minReady = d.spec?.minReadySeconds ?? 0;
    if (
      JSON.stringify(annotations) === JSON.stringify(rs.metadata?.annotations ?? {}) &&
      (rs.spec?.minReadySeconds ?? 0) === minReady
    ) {
      return rs;
    }
    const updated: ReplicaSet = {
      ...rs,
      metadata: { ...rs.metadata, annotations },
      spec: { ...rs.spec, minReadySeconds: minReady } as ReplicaSet["spec"],
    };
    return this.ctx.client.update<ReplicaSet>(inNamespace(rsRef, rs.metadata?.namespace), updated);
  }

  private async createNewRS(d: Deployment, rsList: ReplicaSet[], newRevision: number): Promise<ReplicaSet> {
    const ns = d.metadata?.namespace;
    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = {
      ...template.metadata,
      labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const [surge] = resolveFenceposts(d);
    const rs: ReplicaSet = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata?.name}-${hash}`,
        namespace: ns,
        labels: { ...(template.metadata.labels ?? {}) },
        annotations: {
          ...copiedAnnotations(d),
          [REVISION_ANNOTATION]: String(newRevision),
          [DESIRED_REPLICAS_ANNOTATION]: String(replicasOf(d)),
          [MAX_REPLICAS_ANNOTATION]: String(replicasOf(d) + surge),
        },
        ownerReferences: [controllerRef(d, deploymentKind)],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    rs.spec = { ...rs.spec, replicas: newRSNewReplicas(d, rsList, rs) } as ReplicaSet["spec"];
    const ref = inNamespace(rsRef, ns);
    try {
      const created = await this.ctx.client.create<ReplicaSet>(ref, rs);
      if (specReplicas(created) > 0) {
        this.ctx.recorder.event(
          d,
          "Normal",
          "ScalingReplicaSet",
          `Scaled up replica set ${created.metadata?.name} from 0 to ${specReplicas(created)}`,
        );
      }
      const status = structuredClone(d.status ?? {});
      setCondition(
        status,
        condition(
          "Progressing",
          "True",
          "NewReplicaSetCreated",
          `Created new replica set "${created.metadata?.name}"`,
          this.ctx.clock.now(),
        ),
      );
      await this.updateStatus(d, status);
      return created;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
      // Same name: ours with this template means the cache lagged; anything else is a hash collision.
      const other = await this.ctx.client.get<ReplicaSet>(ref, rs.metadata?.name ?? "");
      const ours = other.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid);
      if (ours && equalIgnoreHash(other.spec?.template, d.spec?.template)) return other;
      const status = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
      await this.updateStatus(d, status);
      throw new Error(
        `hash collision creating ReplicaSet ${rs.metadata?.name}; collisionCount now ${status.collisionCount}`,
      );
    }
  }

  private async setDeploymentRevision(d: Deployment, revision: string): Promise<void> {
    if (d.metadata?.annotations?.[REVISION_ANNOTATION] === revision) return;
    const patch = { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } };
    const updated = await this.ctx.client.patch<Deployment>(
      inNamespace(deploymentsRef, d.metadata?.namespace),
      d.metadata?.name ?? "",
      patch,
      "merge",
    );
    d.metadata = {
      ...d.metadata,
      annotations: updated.metadata?.annotations,
      resourceVersion: updated.metadata?.resourceVersion,
    };
  }

  /** Sets a ReplicaSet's replicas (and the desired/max annotations), with a ScalingReplicaSet event. */
  async scaleReplicaSet(rs: ReplicaSet, newScale: number, d: Deployment): Promise<ReplicaSet> {
    const [surge] = resolveFenceposts(d);
    const annotations = {
      ...(rs.metadata?.annotations ?? {}),
      [DESIRED_REPLICAS_ANNOTATION]: String(replicasOf(d)),
      [MAX_REPLICAS_ANNOTATION]: String(replicasOf(d) + surge),
    };
    const oldScale = specReplicas(rs);
    if (oldScale === newScale && JSON.stringify(annotations) === JSON.stringify(rs.metadata?.annotations)) return rs;
    const updated = await this.ctx.client.update<ReplicaSet>(inNamespace(rsRef, rs.metadata?.namespace), {
      ...rs,
      metadata: { ...rs.metadata, annotations },
      spec: { ...rs.spec, replicas: newScale } as ReplicaSet["spec"],
    });
    if (oldScale !== newScale) {
      const op = newScale > oldScale ? "up" : "down";
      this.ctx.recorder.event(
        d,
        "Normal",
        "ScalingReplicaSet",
        `Scaled ${op} replica set ${rs.metadata?.name} from ${oldScale} to ${newScale}`,
      );
    }
    return updated;
  }

  /** Scaling of a paused or mid-rollout Deployment: spread the change over active ReplicaSets proportionally. */
  async scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const all = [...(newRS ? [newRS] : []), ...oldRSs];
    const active = all.filter((rs) => specReplicas(rs) > 0);
    const replicas = replicasOf(d);
    // One active ReplicaSet (or none: the newest) simply takes the Deployment's replicas.
    if (active.length <= 1) {
      const target = active[0] ?? newRS ?? [...oldRSs].sort(byCreation).at(-1);
      if (target && specReplicas(target) !== replicas) await this.scaleReplicaSet(target, replicas, d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const rs of oldRSs.filter((r) => specReplicas(r) > 0)) await this.scaleReplicaSet(rs, 0, d);
      return;
    }
    if (d.spec?.strategy?.type === "Recreate") return;
    const [surge] = resolveFenceposts(d);
    const current = sumReplicas(active, specReplicas);
    const toAdd = replicas + surge - current;
    if (toAdd === 0) return;
    // Scale up favours the newest, scale down the oldest; each gets its share of the change by size.
    const ordered = [...active].sort(byCreation);
    if (toAdd > 0) ordered.reverse();
    const targets = new Map<ReplicaSet, number>();
    let added = 0;
    for (const rs of ordered) {
      const share =
        toAdd > 0 ? Math.floor((specReplicas(rs) * toAdd) / current) : Math.ceil((specReplicas(rs) * toAdd) / current);
      const bounded = toAdd > 0 ? Math.min(share, toAdd - added) : Math.max(share, toAdd - added, -specReplicas(rs));
      targets.set(rs, specReplicas(rs) + bounded);
      added += bounded;
    }
    const first = ordered[0];
    targets.set(first, Math.max(0, (targets.get(first) ?? 0) + toAdd - added));
    for (const [rs, target] of targets) await this.scaleReplicaSet(rs, target, d);
  }

  /** Deletes the oldest fully scaled-down ReplicaSets beyond revisionHistoryLimit (default 10). */
  async cleanupDeployment(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const dead = oldRSs
      .filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata?.deletionTimestamp)
      .sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of dead.slice(0, Math.max(0, dead.length - limit))) {
      try {
        await this.ctx.client.delete(inNamespace(rsRef, rs.metadata?.namespace), rs.metadata?.name ?? "");
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
  }

  /** Counts and the Available condition from the ReplicaSets (upstream: calculateStatus). */
  calculateStatus(d: Deployment, newRS: ReplicaSet | undefined, all: ReplicaSet[]): apps.DeploymentStatus {
    const available = sumReplicas(all, (rs) => rs.status?.availableReplicas);
    const total = sumReplicas(all, (rs) => rs.status?.replicas);
    const status: apps.DeploymentStatus = {
      ...structuredClone(d.status ?? {}),
      observedGeneration: d.metadata?.generation,
      replicas: total,
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sumReplicas(all, (rs) => rs.status?.readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
    };
    const now = this.ctx.clock.now();
    if (available >= replicasOf(d) - maxUnavailable(d)) {
      setCondition(
        status,
        condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now),
      );
    } else {
      setCondition(
        status,
        condition(
          "Available",
          "False",
          "MinimumReplicasUnavailable",
          "Deployment does not have minimum availability.",
          now,
        ),
      );
    }
    return status;
  }

  /** Status plus the Progressing condition and deadline (upstream: syncRolloutStatus). */
  async syncRolloutStatus(d: Deployment, newRS: ReplicaSet | undefined, all: ReplicaSet[]): Promise<void> {
    const status = this.calculateStatus(d, newRS, all);
    const now = this.ctx.clock.now();
    const deadline = progressDeadlineMs(d);
    if (deadline !== undefined && !d.spec?.paused) {
      const name = newRS?.metadata?.name;
      if (newRS && deploymentComplete(d, status)) {
        setCondition(
          status,
          condition(
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            `ReplicaSet "${name}" has successfully progressed.`,
            now,
          ),
        );
      } else if (deploymentProgressing(d, status)) {
        const msg = newRS ? `ReplicaSet "${name}" is progressing.` : `Deployment "${d.metadata?.name}" is progressing.`;
        setCondition(status, condition("Progressing", "True", "ReplicaSetUpdated", msg, now), true);
      } else if (deploymentTimedOut(d, status, now)) {
        const msg = newRS
          ? `ReplicaSet "${name}" has timed out progressing.`
          : `Deployment "${d.metadata?.name}" has timed out progressing.`;
        setCondition(status, condition("Progressing", "False", "ProgressDeadlineExceeded", msg, now));
      }
      const cond = getCondition(status, "Progressing");
      if (cond?.status === "True" && cond.reason !== "NewReplicaSetAvailable") {
        const since = Date.parse(cond.lastUpdateTime ?? "") || now;
        this.requeueAfter(d, Math.max(1000, since + deadline - now + 1000));
      }
    }
    await this.updateStatus(d, status);
  }

  async updateStatus(d: Deployment, status: apps.DeploymentStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(d.status ?? {})) return;
    const updated = await this.ctx.client.update<Deployment>(
      inNamespace(deploymentsRef, d.metadata?.namespace),
      { ...d, status },
      {},
      "status",
    );
    d.status = updated.status;
    d.metadata = { ...d.metadata, resourceVersion: updated.metadata?.resourceVersion };
  }
}
