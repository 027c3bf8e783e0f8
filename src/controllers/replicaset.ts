// ReplicaSetController (and ReplicationManager, the same logic for ReplicationControllers, whose selector is a
// plain map): keeps `spec.replicas` active pods matching the selector, adopting orphans and releasing
// pods that stopped matching; expectations keep a stale cache from causing double creates; status counts
// replicas, fullyLabeled, ready and available (minReadySeconds) pods.

import { selectorMatches } from "../api/selector.ts";
import type { KubeObject, meta, Pod, ReplicaSet } from "../api/types.ts";
import { inNamespace, pods as podsRef, replicasets } from "../client/refs.ts";
import type { ResourceRef } from "../client/types.ts";
import { ApiError } from "../client/types.ts";
import { writeStatus } from "./apiutil.ts";
import { claimObjects, ownerKeyOf } from "./claim.ts";
import { ControllerExpectations } from "./expectations.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { type GroupVersionKind, keyOf, splitKey } from "./owner.ts";
import {
  isPodActive,
  isPodAvailable,
  isPodReady,
  podFromTemplate,
  sortPodsForDeletion,
  untilAvailable,
} from "./podutil.ts";

export const replicaSetKind = {
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
};

/** Upstream's burstReplicas: at most this many creates or deletes per sync. */
const BURST_REPLICAS = 500;

/** What differs between ReplicaSets and ReplicationControllers. */
export interface ReplicaManagerKind {
  name: string;
  ref: ResourceRef;
  gvk: GroupVersionKind;
  selector(obj: KubeObject): meta.LabelSelector | undefined;
}

export const replicaSetManager: ReplicaManagerKind = {
  name: "replicaset",
  ref: replicasets,
  gvk: replicaSetKind,
  selector: (rs) => rs.spec?.selector,
};

export const replicationControllerManager: ReplicaManagerKind = {
  name: "replicationcontroller",
  ref: { group: "", version: "v1", resource: "replicationcontrollers" },
  gvk: { group: "", version: "v1", kind: "ReplicationController" },
  // An RC's selector is a map, defaulting to the template's labels.
  selector: (rc) => {
    const map = rc.spec?.selector ?? rc.spec?.template?.metadata?.labels;
    return map ? { matchLabels: map } : undefined;
  },
};

export function startReplicaSetController(
  ctx: ControllerContext,
  kind: ReplicaManagerKind = replicaSetManager,
): Controller {
  const rsRef = kind.ref;
  const replicaSetKind = kind.gvk;
  const ownerKind = kind.gvk.kind;
  const rsInformer = ctx.informer<ReplicaSet>(rsRef);
  const podInformer = ctx.informer<Pod>(podsRef);
  const expectations = new ControllerExpectations(ctx.clock);
  const controller = newController(ctx, kind.name, syncReplicaSet);

  rsInformer.addEventHandler({
    onAdd: (rs) => controller.enqueue(keyOf(rs)),
    onUpdate: (_, rs) => controller.enqueue(keyOf(rs)),
    onDelete: (rs) => {
      expectations.deleteExpectations(keyOf(rs));
      controller.enqueue(keyOf(rs));
    },
  });

  /** The ReplicaSets an event on `pod` concerns: its controller, or, for an orphan, every RS that selects it. */
  function replicaSetsFor(pod: Pod): string[] {
    const owner = ownerKeyOf(pod, ownerKind);
    if (owner) return [owner];
    if (pod.metadata?.deletionTimestamp) return [];
    return rsInformer.lister
      .list(pod.metadata?.namespace)
      .filter((rs) => selectorMatches(kind.selector(rs), pod.metadata?.labels))
      .map(keyOf);
  }

  podInformer.addEventHandler({
    onAdd: (pod) => {
      const owner = ownerKeyOf(pod, ownerKind);
      if (owner) expectations.creationObserved(owner);
      for (const key of replicaSetsFor(pod)) controller.enqueue(key);
    },
    onUpdate: (old, pod) => {
      if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
      const keys = new Set([...replicaSetsFor(old), ...replicaSetsFor(pod)]);
      // A pod marked for deletion is as good as gone for the ReplicaSet's count.
      if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
        const owner = ownerKeyOf(pod, ownerKind);
        if (owner) expectations.deletionObserved(owner, pod.metadata?.uid);
      }
      for (const key of keys) controller.enqueue(key);
      // Ready pods turn available after minReadySeconds: look again then.
      const rsKey = ownerKeyOf(pod, ownerKind);
      const rs = rsKey ? rsInformer.lister.get(splitKey(rsKey).namespace, splitKey(rsKey).name) : undefined;
      const wait = rs ? untilAvailable(pod, rs.spec?.minReadySeconds ?? 0, ctx.clock.now()) : undefined;
      if (rsKey && wait !== undefined) controller.enqueueAfter(rsKey, wait + 1000);
    },
    onDelete: (pod) => {
      const owner = ownerKeyOf(pod, ownerKind);
      if (owner) expectations.deletionObserved(owner, pod.metadata?.uid);
      for (const key of replicaSetsFor(pod)) controller.enqueue(key);
    },
  });

  async function syncReplicaSet(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rs = rsInformer.lister.get(namespace, name);
    if (!rs) {
      expectations.deleteExpectations(key);
      return;
    }
    const needsSync = expectations.satisfied(key) && !rs.metadata?.deletionTimestamp;
    const candidates = podInformer.lister.list(namespace).filter(isPodActive);
    const owned = await claimObjects(ctx.client, rs, replicaSetKind, candidates, inNamespace(podsRef, namespace), (p) =>
      selectorMatches(kind.selector(rs), p.metadata?.labels),
    );
    const actives = owned.filter(isPodActive);

    if (needsSync) await manageReplicas(rs, actives, key);
    await updateStatus(rs, actives);
  }

  async function manageReplicas(rs: ReplicaSet, actives: Pod[], key: string): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = actives.length - want;
    const ref = inNamespace(podsRef, rs.metadata?.namespace);
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      expectations.expectCreations(key, count);
      const created = await slowStartBatch(count, async () => {
        try {
          const pod = await ctx.client.create<Pod>(ref, podFromTemplate(rs.spec?.template ?? {}, rs, replicaSetKind));
          ctx.recorder.event(rs, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata?.name}`);
        } catch (err) {
          expectations.creationSkipped(key);
          ctx.recorder.event(rs, "Warning", "FailedCreate", `Error creating: ${(err as Error).message}`);
          throw err;
        }
      });
      // Creates that never started will not be observed either.
      for (let i = created; i < count; i++) expectations.creationSkipped(key);
      if (created < count) throw new Error(`created ${created} of ${count} pods for ${ownerKind} ${key}`);
    } else if (diff > 0) {
      const victims = sortPodsForDeletion(actives).slice(0, Math.min(diff, BURST_REPLICAS));
      expectations.expectDeletions(
        key,
        victims.map((p) => p.metadata?.uid ?? ""),
      );
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await ctx.client.delete(ref, pod.metadata?.name ?? "");
            ctx.recorder.event(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata?.name}`);
          } catch (err) {
            expectations.deletionObserved(key, pod.metadata?.uid);
            if (!(err instanceof ApiError && err.code === 404)) {
              ctx.recorder.event(rs, "Warning", "FailedDelete", `Error deleting: ${(err as Error).message}`);
              throw err;
            }
          }
        }),
      );
    }
  }

  async function updateStatus(rs: ReplicaSet, actives: Pod[]): Promise<void> {
    const now = ctx.clock.now();
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const status = {
      ...rs.status,
      replicas: actives.length,
      fullyLabeledReplicas: actives.filter((p) =>
        Object.entries(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v),
      ).length,
      readyReplicas: actives.filter(isPodReady).length,
      availableReplicas: actives.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata?.generation,
    };
    await writeStatus(ctx.client, rsRef, rs, status);
  }

  return controller;
}

/**
 * Runs `count` calls in batches of 1, 2, 4, … and stops at the first batch with a failure, so a quota or
 * admission error costs one request rather than hundreds (upstream: slowStartBatch). Returns how many succeeded.
 */
export async function slowStartBatch(count: number, fn: () => Promise<void>): Promise<number> {
  let done = 0;
  for (let batch = 1; done < count; batch *= 2) {
    const size = Math.min(batch, count - done);
    const results = await Promise.allSettled(Array.from({ length: size }, fn));
    done += results.filter((r) => r.status === "fulfilled").length;
    if (results.some((r) => r.status === "rejected")) return done;
  }
  return done;
}
