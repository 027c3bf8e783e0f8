// DaemonSetController: one pod per eligible node (nodeSelector, required node affinity, taints tolerated with
// the daemon's default tolerations), pinned by node affinity on metadata.name and left to the scheduler to
// bind, as upstream; pods on ineligible nodes removed; RollingUpdate (maxUnavailable) or OnDelete between
// ControllerRevisions; status counts for `kubectl rollout status`.

import type { apps, ControllerRevision, core, DaemonSet, Node, Pod } from "../api/types.ts";
import {
  daemonsets as dsRef,
  inNamespace,
  nodes as nodesRef,
  pods as podsRef,
  controllerrevisions as revisionsRef,
} from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { podMatchesNodeSelectorAndAffinity } from "../scheduler/plugins/nodeaffinity.ts";
import { writeStatus } from "./apiutil.ts";
import { claimObjects, ownerKeyOf } from "./claim.ts";
import { intOrPercent } from "./deployment_util.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import {
  CONTROLLER_REVISION_HASH_LABEL,
  ensureRevision,
  ownedRevisions,
  revisionHash,
  truncateHistory,
} from "./history.ts";
import { keyOf, splitKey } from "./owner.ts";
import { isPodAvailable, isPodReady, podFromTemplate, untilAvailable } from "./podutil.ts";
import { TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE, toleratesAll } from "./taints.ts";

export const daemonSetKind = { group: "apps", version: "v1", kind: "DaemonSet" };

/** Tolerations every daemon pod gets (upstream: AddOrUpdateDaemonPodTolerations). */
export function daemonTolerations(pod: Pod): core.Toleration[] {
  const extra: core.Toleration[] = [
    { key: TAINT_NOT_READY, operator: "Exists", effect: "NoExecute" },
    { key: TAINT_UNREACHABLE, operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: TAINT_UNSCHEDULABLE, operator: "Exists", effect: "NoSchedule" },
  ];
  if (pod.spec?.hostNetwork)
    extra.push({ key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" });
  const have = pod.spec?.tolerations ?? [];
  return [...have, ...extra.filter((t) => !have.some((h) => h.key === t.key && h.effect === t.effect))];
}

/** The daemon pod for `node`: the template plus default tolerations and required affinity to that node. */
export function daemonPod(ds: DaemonSet, node: string, hash: string): Pod {
  const pod = podFromTemplate(ds.spec?.template ?? {}, ds, daemonSetKind, {
    labels: { [CONTROLLER_REVISION_HASH_LABEL]: hash, "pod-template-generation": String(ds.metadata?.generation ?? 1) },
  });
  const spec = pod.spec as core.PodSpec;
  spec.tolerations = daemonTolerations(pod);
  // Replaces any node affinity: the pod belongs to exactly this node (upstream: ReplaceDaemonSetPodNodeNameNodeAffinity).
  const term: core.NodeSelectorTerm = { matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] };
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(spec.affinity?.nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] },
    },
  };
  return pod;
}

/** Whether a daemon pod should run on the node (selector, affinity, and NoSchedule/NoExecute taints). */
export function nodeShouldRunDaemonPod(ds: DaemonSet, node: Node): boolean {
  const probe: Pod = { spec: { ...(ds.spec?.template?.spec ?? { containers: [] }) } };
  probe.spec = { ...probe.spec, tolerations: daemonTolerations(probe) } as core.PodSpec;
  if (!podMatchesNodeSelectorAndAffinity(probe, node)) return false;
  const taints = (node.spec?.taints ?? []).filter((t) => t.effect === "NoSchedule" || t.effect === "NoExecute");
  return toleratesAll(probe.spec?.tolerations, taints);
}

/** The node a daemon pod is for: where it runs, else the node its affinity names. */
export function daemonPodNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) {
    const f = t.matchFields?.find((m) => m.key === "metadata.name" && m.operator === "In");
    if (f?.values?.length === 1) return f.values[0];
  }
  return undefined;
}

export function startDaemonSetController(ctx: ControllerContext): Controller {
  const sets = ctx.informer<DaemonSet>(dsRef);
  const nodes = ctx.informer<Node>(nodesRef);
  const pods = ctx.informer<Pod>(podsRef);
  const revisions = ctx.informer<ControllerRevision>(revisionsRef);
  const controller = newController(ctx, "daemonset", syncDaemonSet);
  sets.addEventHandler({
    onAdd: (d) => controller.enqueue(keyOf(d)),
    onUpdate: (_, d) => controller.enqueue(keyOf(d)),
  });
  const onPod = (p: Pod) => {
    const owner = ownerKeyOf(p, "DaemonSet");
    if (owner) controller.enqueue(owner);
  };
  pods.addEventHandler({ onAdd: onPod, onUpdate: (_, p) => onPod(p), onDelete: onPod });
  const allSets = () => {
    for (const d of sets.lister.list()) controller.enqueue(keyOf(d));
  };
  nodes.addEventHandler({
    onAdd: allSets,
    onUpdate: (old, n) => {
      const relevant = (x: Node) =>
        JSON.stringify([
          x.metadata?.labels,
          x.spec?.taints,
          x.status?.conditions?.find((c) => c.type === "Ready")?.status,
        ]);
      if (relevant(old) !== relevant(n)) allSets();
    },
    onDelete: allSets,
  });

  async function syncDaemonSet(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = sets.lister.get(namespace, name);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const ds = structuredClone(cached);
    const podRef = inNamespace(podsRef, namespace);
    const owned = (await claimObjects(ctx.client, ds, daemonSetKind, pods.lister.list(namespace), podRef)).filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
    const history = ownedRevisions(revisions, ds);
    const update = await ensureRevision(
      ctx,
      ds,
      daemonSetKind,
      history,
      ds.spec?.template,
      ds.spec?.selector?.matchLabels ?? {},
      ds.status?.collisionCount,
    );
    const hash = revisionHash(update);

    const byNode = new Map<string, Pod[]>();
    for (const pod of owned) {
      const node = daemonPodNode(pod) ?? "";
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    const eligible = nodes.lister.list().filter((n) => nodeShouldRunDaemonPod(ds, n));
    const eligibleNames = new Set(eligible.map((n) => n.metadata?.name ?? ""));
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    const rolling = ds.spec?.updateStrategy?.type !== "OnDelete";
    const maxSurge = rolling
      ? intOrPercent(ds.spec?.updateStrategy?.rollingUpdate?.maxSurge, eligible.length, true, "0")
      : 0;
    const byAge = (a: Pod, b: Pod) =>
      (a.metadata?.creationTimestamp ?? "").localeCompare(b.metadata?.creationTimestamp ?? "");
    const now = ctx.clock.now();
    const available = (p: Pod) => isPodAvailable(p, ds.spec?.minReadySeconds ?? 0, now);
    const isNew = (p: Pod) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
    // Surge: nodes where a new pod is starting beside the old one count against maxSurge.
    let surging = 0;
    for (const node of eligible) {
      const here = byNode.get(node.metadata?.name ?? "") ?? [];
      if (here.some((p) => isNew(p) && !available(p)) && here.some((p) => !isNew(p))) surging++;
    }
    for (const node of eligible) {
      const name = node.metadata?.name ?? "";
      const here = byNode.get(name) ?? [];
      toDelete.push(...here.filter((p) => p.status?.phase === "Failed"));
      const running = here.filter((p) => p.status?.phase !== "Failed").sort(byAge);
      if (running.length === 0) {
        toCreate.push(name);
        continue;
      }
      if (maxSurge <= 0) {
        toDelete.push(...running.slice(1)); // more than one: keep the oldest
        continue;
      }
      const [fresh, ...extraNew] = running.filter(isNew);
      const old = running.filter((p) => !isNew(p));
      toDelete.push(...extraNew);
      if (fresh) {
        if (available(fresh)) toDelete.push(...old); // the replacement serves: the old pod may go
      } else {
        toDelete.push(...old.slice(1));
        if (surging < maxSurge) {
          surging++;
          toCreate.push(name);
        }
      }
    }
    for (const [node, list] of byNode) if (!eligibleNames.has(node)) toDelete.push(...list);
    if (rolling && maxSurge <= 0) toDelete.push(...rollingUpdateVictims(ds, eligible, byNode, hash, toDelete));

    await Promise.all(toDelete.map((p) => deletePod(ds, p)));
    await Promise.all(toCreate.map((node) => createPod(ds, node, hash)));
    await updateStatus(ds, eligible, byNode, hash);
    const live = new Set([update.metadata?.name ?? ""]);
    for (const r of history)
      if (owned.some((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === revisionHash(r)))
        live.add(r.metadata?.name ?? "");
    await truncateHistory(ctx, [...history, update], live, ds.spec?.revisionHistoryLimit ?? 10);
  }

  /** Old pods to replace now: unavailable ones freely, available ones within maxUnavailable. */
  function rollingUpdateVictims(
    ds: DaemonSet,
    eligible: Node[],
    byNode: Map<string, Pod[]>,
    hash: string,
    already: Pod[],
  ): Pod[] {
    const now = ctx.clock.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const maxUnavailable = Math.max(
      1,
      intOrPercent(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, eligible.length, true, "1"),
    );
    let unavailable = 0;
    const oldAvailable: Pod[] = [];
    const victims: Pod[] = [];
    for (const node of eligible) {
      const pod = (byNode.get(node.metadata?.name ?? "") ?? []).find((p) => !already.includes(p));
      if (!pod || !isPodAvailable(pod, minReady, now)) {
        unavailable++;
        if (pod && pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== hash) victims.push(pod);
        continue;
      }
      if (pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== hash) oldAvailable.push(pod);
    }
    return [...victims, ...oldAvailable.slice(0, Math.max(0, maxUnavailable - unavailable))];
  }

  async function createPod(ds: DaemonSet, node: string, hash: string) {
    try {
      const pod = await ctx.client.create<Pod>(inNamespace(podsRef, ds.metadata?.namespace), daemonPod(ds, node, hash));
      ctx.recorder.event(ds, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata?.name}`);
    } catch (err) {
      ctx.recorder.event(ds, "Warning", "FailedCreate", `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  async function deletePod(ds: DaemonSet, pod: Pod) {
    try {
      await ctx.client.delete(inNamespace(podsRef, ds.metadata?.namespace), pod.metadata?.name ?? "");
      ctx.recorder.event(ds, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata?.name}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  async function updateStatus(ds: DaemonSet, eligible: Node[], byNode: Map<string, Pod[]>, hash: string) {
    const now = ctx.clock.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const eligibleNames = new Set(eligible.map((n) => n.metadata?.name));
    let scheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    let misscheduled = 0;
    for (const [node, list] of byNode) {
      const pod = list[0];
      if (!eligibleNames.has(node)) {
        if (pod?.spec?.nodeName) misscheduled++;
        continue;
      }
      if (!pod) continue;
      scheduled++;
      if (isPodReady(pod)) ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
      else {
        const wait = untilAvailable(pod, minReady, now);
        if (wait !== undefined) controller.enqueueAfter(keyOf(ds), wait + 1000);
      }
      if (pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) updated++;
    }
    const desired = eligible.length;
    const status: apps.DaemonSetStatus = {
      ...(ds.status ?? {}),
      currentNumberScheduled: scheduled,
      desiredNumberScheduled: desired,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      numberAvailable: available,
      numberUnavailable: Math.max(0, desired - available),
      updatedNumberScheduled: updated,
      observedGeneration: ds.metadata?.generation,
    };
    if (status.numberUnavailable === 0) delete status.numberUnavailable;
    await writeStatus(ctx.client, dsRef, ds, status);
  }

  return controller;
}
