// StatefulSetController: pods with stable names <set>-<ordinal> and hostnames, a PVC per volumeClaimTemplate
// and ordinal, created in order and each waiting for its predecessor to be Running and Ready (OrderedReady)
// or all at once (Parallel); scale-down from the highest ordinal; rolling update from the highest ordinal
// down to the partition; ControllerRevisions record templates for currentRevision/updateRevision.

import type { apps, ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet } from "../api/types.ts";
import {
  inNamespace,
  pods as podsRef,
  persistentvolumeclaims as pvcRef,
  controllerrevisions as revisionsRef,
  statefulsets as setsRef,
} from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { ignoreCodes, writeStatus } from "./apiutil.ts";
import { claimObjects, ownerKeyOf } from "./claim.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import {
  CONTROLLER_REVISION_HASH_LABEL,
  ensureRevision,
  ownedRevisions,
  RevisionCollision,
  truncateHistory,
} from "./history.ts";
import { controllerRef, keyOf, splitKey } from "./owner.ts";
import { isPodAvailable, isPodReady, podFromTemplate, untilAvailable } from "./podutil.ts";

export const statefulSetKind = { group: "apps", version: "v1", kind: "StatefulSet" };
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

export function ordinalOf(set: StatefulSet, pod: Pod): number | undefined {
  const prefix = `${set.metadata?.name}-`;
  const name = pod.metadata?.name ?? "";
  if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) return undefined;
  return Number(name.slice(prefix.length));
}

export function claimName(templateName: string, set: StatefulSet, ordinal: number): string {
  return `${templateName}-${set.metadata?.name}-${ordinal}`;
}

/** A StatefulSet pod at a revision: identity (name, hostname, subdomain, labels) and claims for its volumes. */
export function statefulPod(set: StatefulSet, ordinal: number, revision: ControllerRevision): Pod {
  const name = `${set.metadata?.name}-${ordinal}`;
  const template =
    (revision.data as { spec?: { template?: apps.StatefulSetSpec["template"] } })?.spec?.template ?? set.spec?.template;
  const { $patch: _, ...clean } = template as typeof template & { $patch?: string };
  const pod = podFromTemplate(clean, set, statefulSetKind, {
    name,
    labels: {
      [CONTROLLER_REVISION_HASH_LABEL]: revision.metadata?.name ?? "",
      [POD_NAME_LABEL]: name,
      [POD_INDEX_LABEL]: String(ordinal),
    },
  });
  if (pod.spec) {
    pod.spec.hostname = name;
    if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
    const claims = (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
      name: t.metadata?.name ?? "",
      persistentVolumeClaim: { claimName: claimName(t.metadata?.name ?? "", set, ordinal) },
    }));
    const claimed = new Set(claims.map((c) => c.name));
    pod.spec.volumes = [...(pod.spec.volumes ?? []).filter((v) => !claimed.has(v.name)), ...claims];
  }
  return pod;
}

export function startStatefulSetController(ctx: ControllerContext): Controller {
  const sets = ctx.informer<StatefulSet>(setsRef);
  const pods = ctx.informer<Pod>(podsRef);
  const revisions = ctx.informer<ControllerRevision>(revisionsRef);
  const claims = ctx.informer<PersistentVolumeClaim>(pvcRef);
  const controller = newController(ctx, "statefulset", syncStatefulSet);
  sets.addEventHandler({
    onAdd: (s) => controller.enqueue(keyOf(s)),
    onUpdate: (_, s) => controller.enqueue(keyOf(s)),
  });
  const onPod = (p: Pod) => {
    const owner = ownerKeyOf(p, "StatefulSet");
    if (owner) controller.enqueue(owner);
  };
  pods.addEventHandler({ onAdd: onPod, onUpdate: (_, p) => onPod(p), onDelete: onPod });

  async function syncStatefulSet(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = sets.lister.get(namespace, name);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const set = structuredClone(cached);
    const podRef = inNamespace(podsRef, namespace);
    const owned = await claimObjects(ctx.client, set, statefulSetKind, pods.lister.list(namespace), podRef);
    const history = ownedRevisions(revisions, set);
    let update: ControllerRevision;
    try {
      update = await ensureRevision(
        ctx,
        set,
        statefulSetKind,
        history,
        set.spec?.template,
        set.spec?.selector?.matchLabels ?? {},
        set.status?.collisionCount,
      );
    } catch (err) {
      if (!(err instanceof RevisionCollision)) throw err;
      const status = { ...(set.status ?? { replicas: 0 }), collisionCount: (set.status?.collisionCount ?? 0) + 1 };
      await ctx.client.update(inNamespace(setsRef, namespace), { ...set, status }, {}, "status");
      throw err;
    }
    const all = [...history.filter((r) => r.metadata?.name !== update.metadata?.name), update];
    const current = all.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;

    const replicas = set.spec?.replicas ?? 1;
    const byOrdinal = new Map<number, Pod>();
    const condemned: Pod[] = [];
    for (const pod of owned) {
      const ord = ordinalOf(set, pod);
      if (ord === undefined) continue;
      if (ord < replicas) byOrdinal.set(ord, pod);
      else condemned.push(pod);
    }
    await manage(set, byOrdinal, condemned, current, update, replicas);
    await updateStatus(set, [...byOrdinal.values(), ...condemned], current, update, replicas);
    const live = new Set([current.metadata?.name ?? "", update.metadata?.name ?? ""]);
    for (const p of owned) live.add(p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? "");
    await truncateHistory(ctx, all, live, set.spec?.revisionHistoryLimit ?? 10);
  }

  const runningAndReady = (p: Pod) => p.status?.phase === "Running" && isPodReady(p) && !p.metadata?.deletionTimestamp;

  async function manage(
    set: StatefulSet,
    byOrdinal: Map<number, Pod>,
    condemned: Pod[],
    current: ControllerRevision,
    update: ControllerRevision,
    replicas: number,
  ) {
    const ordered = (set.spec?.podManagementPolicy ?? "OrderedReady") === "OrderedReady";
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    for (let ord = 0; ord < replicas; ord++) {
      let pod = byOrdinal.get(ord);
      if (pod?.status?.phase === "Failed" || pod?.status?.phase === "Succeeded") {
        if (!pod.metadata?.deletionTimestamp) await deletePod(set, pod);
        if (ordered) return;
        continue;
      }
      if (!pod) {
        // Pods below the partition keep the current revision; the rest get the update revision.
        const revision = ord < partition ? current : update;
        pod = await createPod(set, ord, revision);
        byOrdinal.set(ord, pod);
        if (ordered) return;
        continue;
      }
      if (ordered && !runningAndReady(pod)) return;
    }
    // Scale down from the highest ordinal, one at a time when ordered.
    const victims = [...condemned].sort((a, b) => (ordinalOf(set, b) ?? 0) - (ordinalOf(set, a) ?? 0));
    for (const pod of victims) {
      if (pod.metadata?.deletionTimestamp) {
        if (ordered) return;
        continue;
      }
      await deletePod(set, pod);
      if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === "Delete") await deleteClaims(set, pod);
      if (ordered) return;
    }
    if (set.spec?.updateStrategy?.type === "OnDelete") return;
    // Rolling update: highest ordinal first, down to the partition, waiting for each to come back Ready.
    for (let ord = replicas - 1; ord >= partition; ord--) {
      const pod = byOrdinal.get(ord);
      if (!pod) return;
      const revision = pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
      if (revision !== update.metadata?.name) {
        if (!pod.metadata?.deletionTimestamp) await deletePod(set, pod);
        return;
      }
      if (!runningAndReady(pod)) return;
    }
  }

  async function createPod(set: StatefulSet, ordinal: number, revision: ControllerRevision): Promise<Pod> {
    const ns = set.metadata?.namespace;
    const pod = statefulPod(set, ordinal, revision);
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(t.metadata?.name ?? "", set, ordinal);
      if (claims.lister.get(ns, name)) continue;
      const pvc: PersistentVolumeClaim = {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: {
          ...structuredClone(t.metadata ?? {}),
          name,
          namespace: ns,
          labels: { ...(t.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
        },
        spec: structuredClone(t.spec),
      };
      // persistentVolumeClaimRetentionPolicy.whenDeleted=Delete: the claim goes with the set (garbage collector).
      if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === "Delete") {
        pvc.metadata = {
          ...pvc.metadata,
          ownerReferences: [{ ...controllerRef(set, statefulSetKind), controller: false }],
        };
      }
      try {
        await ctx.client.create(inNamespace(pvcRef, ns), pvc);
        ctx.recorder.event(
          set,
          "Normal",
          "SuccessfulCreate",
          `create Claim ${name} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} success`,
        );
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      }
    }
    try {
      const created = await ctx.client.create<Pod>(inNamespace(podsRef, ns), pod);
      ctx.recorder.event(
        set,
        "Normal",
        "SuccessfulCreate",
        `create Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} successful`,
      );
      return created;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) return pod; // the cache lags our own create
      ctx.recorder.event(
        set,
        "Warning",
        "FailedCreate",
        `create Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${(err as Error).message}`,
      );
      throw err;
    }
  }

  /** Scale-down with whenScaled=Delete: the condemned ordinal's claims go too. */
  async function deleteClaims(set: StatefulSet, pod: Pod) {
    const ordinal = ordinalOf(set, pod);
    if (ordinal === undefined) return;
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(t.metadata?.name ?? "", set, ordinal);
      await ignoreCodes(ctx.client.delete(inNamespace(pvcRef, set.metadata?.namespace), name));
    }
  }

  async function deletePod(set: StatefulSet, pod: Pod) {
    try {
      await ctx.client.delete(inNamespace(podsRef, set.metadata?.namespace), pod.metadata?.name ?? "", {
        preconditions: { uid: pod.metadata?.uid },
      });
      ctx.recorder.event(
        set,
        "Normal",
        "SuccessfulDelete",
        `delete Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} successful`,
      );
    } catch (err) {
      if (!(err instanceof ApiError && [404, 409].includes(err.code))) throw err;
    }
  }

  async function updateStatus(
    set: StatefulSet,
    all: Pod[],
    current: ControllerRevision,
    update: ControllerRevision,
    replicas: number,
  ) {
    const now = ctx.clock.now();
    const minReady = set.spec?.minReadySeconds ?? 0;
    const live = all.filter((p) => !p.metadata?.deletionTimestamp && p.metadata?.uid);
    const rev = (p: Pod) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    const updated = live.filter((p) => rev(p) === update.metadata?.name).length;
    const ready = live.filter(isPodReady).length;
    // The update is done when every replica runs the update revision and is ready: it becomes current.
    const done = updated === replicas && ready >= replicas && live.length === replicas;
    const currentRevision = done ? update : current;
    const status: apps.StatefulSetStatus = {
      ...(set.status ?? {}),
      observedGeneration: set.metadata?.generation,
      replicas: live.length,
      readyReplicas: ready,
      availableReplicas: live.filter((p) => isPodAvailable(p, minReady, now)).length,
      currentReplicas: live.filter((p) => rev(p) === currentRevision.metadata?.name).length,
      updatedReplicas: updated,
      currentRevision: currentRevision.metadata?.name,
      updateRevision: update.metadata?.name,
    };
    for (const p of live) {
      const wait = untilAvailable(p, minReady, now);
      if (wait !== undefined) controller.enqueueAfter(keyOf(set), wait + 1000);
    }
    await writeStatus(ctx.client, setsRef, set, status);
  }

  return controller;
}
