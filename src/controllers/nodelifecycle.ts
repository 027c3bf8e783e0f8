// NodeLifecycleController: watches kubelet heartbeats (the node's Lease in kube-node-lease and its Ready
// condition). A node silent for the grace period (40 s) gets Ready=Unknown and its pods NotReady; nodes are
// tainted by condition (not-ready/unreachable, NoSchedule and NoExecute); pods on NoExecute-tainted nodes
// are evicted once their tolerationSeconds (default 300 s, as the DefaultTolerationSeconds admission sets) run out.

import type { core, Lease, Node, Pod } from "../api/types.ts";
import { inNamespace, leases as leasesRef, nodes as nodesRef, pods as podsRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { rfc3339 } from "./clock.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { keyOf } from "./owner.ts";
import { TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE, tolerates } from "./taints.ts";

export interface NodeLifecycleTimings {
  /** Silence after which a node is Unknown (upstream --node-monitor-grace-period). */
  gracePeriodMs?: number;
  /** How often every node is checked (--node-monitor-period). */
  monitorPeriodMs?: number;
  /** tolerationSeconds assumed for pods with no toleration of not-ready/unreachable. */
  defaultTolerationSeconds?: number;
}

const NODE_LEASE_NAMESPACE = "kube-node-lease";
const UNKNOWN_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

interface Health {
  probe: number; // our clock when we last saw a heartbeat change
  renew?: string;
  heartbeat?: string;
}

/** Taints the controller manages for a node's Ready condition and unschedulable flag. */
export function conditionTaints(node: Node): core.Taint[] {
  const ready = node.status?.conditions?.find((c) => c.type === "Ready")?.status;
  const out: core.Taint[] = [];
  const key = ready === "False" ? TAINT_NOT_READY : ready === "Unknown" ? TAINT_UNREACHABLE : undefined;
  if (key) out.push({ key, effect: "NoSchedule" }, { key, effect: "NoExecute" });
  if (node.spec?.unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: "NoSchedule" });
  return out;
}

const MANAGED = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE]);

/** Milliseconds a pod may stay on a node with these NoExecute taints: 0 evict now, Infinity never. */
export function tolerationWindow(pod: Pod, taints: core.Taint[], now: number, defaultSeconds: number): number {
  let window = Number.POSITIVE_INFINITY;
  for (const taint of taints.filter((t) => t.effect === "NoExecute")) {
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
    const matching = (pod.spec?.tolerations ?? []).filter((t) => tolerates(t, taint));
    let seconds: number;
    if (matching.length === 0) {
      if (taint.key !== TAINT_NOT_READY && taint.key !== TAINT_UNREACHABLE) return 0;
      seconds = defaultSeconds;
    } else if (matching.some((t) => t.tolerationSeconds === undefined || t.tolerationSeconds === null)) {
      continue;
    } else {
      seconds = Math.min(...matching.map((t) => Math.max(0, t.tolerationSeconds ?? 0)));
    }
    window = Math.min(window, Math.max(0, added + seconds * 1000 - now));
  }
  return window;
}

export function startNodeLifecycleController(ctx: ControllerContext, timings: NodeLifecycleTimings = {}): Controller {
  const grace = timings.gracePeriodMs ?? 40_000;
  const period = timings.monitorPeriodMs ?? 5_000;
  const defaultToleration = timings.defaultTolerationSeconds ?? 300;
  const nodes = ctx.informer<Node>(nodesRef);
  const leases = ctx.informer<Lease>(leasesRef);
  const pods = ctx.informer<Pod>(podsRef);
  const controller = newController(ctx, "nodelifecycle", syncNode);
  const health = new Map<string, Health>();
  const podsByNode = new Map<string, Map<string, Pod>>();

  nodes.addEventHandler({
    onAdd: (n) => controller.enqueue(n.metadata?.name ?? ""),
    onUpdate: (_, n) => controller.enqueue(n.metadata?.name ?? ""),
    onDelete: (n) => health.delete(n.metadata?.name ?? ""),
  });
  leases.addEventHandler({
    onUpdate: (_, l) => {
      if (l.metadata?.namespace === NODE_LEASE_NAMESPACE) controller.enqueue(l.metadata?.name ?? "");
    },
  });
  const index = (pod: Pod, add: boolean) => {
    const node = pod.spec?.nodeName;
    if (!node) return;
    const set = podsByNode.get(node);
    if (add) {
      if (set) set.set(keyOf(pod), pod);
      else podsByNode.set(node, new Map([[keyOf(pod), pod]]));
    } else if (set) {
      set.delete(keyOf(pod));
      if (set.size === 0) podsByNode.delete(node);
    }
  };
  pods.addEventHandler({
    onAdd: (p) => {
      index(p, true);
      if (p.spec?.nodeName) controller.enqueue(p.spec.nodeName);
    },
    onUpdate: (old, p) => {
      index(old, false);
      index(p, true);
      if (p.spec?.nodeName && p.spec.nodeName !== old.spec?.nodeName) controller.enqueue(p.spec.nodeName);
    },
    onDelete: (p) => index(p, false),
  });

  controller.every(period, () => {
    for (const n of nodes.lister.list()) controller.enqueue(n.metadata?.name ?? "");
  });

  async function syncNode(name: string): Promise<void> {
    let node = nodes.lister.get(undefined, name);
    if (!node) return;
    const now = ctx.clock.now();
    if (await isSilent(node, now)) node = await markUnknown(node, now);
    // Upstream's full-disruption mode: when no node at all is Ready, the fault is more likely ours (or the
    // network's) than every node's, so nothing is evicted and NoExecute taints are lifted.
    const fullDisruption = nodes.lister
      .list()
      .every((n) => n.status?.conditions?.find((c) => c.type === "Ready")?.status !== "True");
    node = await reconcileTaints(node, now, fullDisruption);
    if (!fullDisruption) await evictPods(node, now);
  }

  /** Whether neither the Lease nor the Ready heartbeat changed within the grace period (on our clock). */
  async function isSilent(node: Node, now: number): Promise<boolean> {
    const name = node.metadata?.name ?? "";
    const renew = leases.lister.get(NODE_LEASE_NAMESPACE, name)?.spec?.renewTime;
    const heartbeat = node.status?.conditions?.find((c) => c.type === "Ready")?.lastHeartbeatTime;
    const h = health.get(name);
    if (!h || h.renew !== renew || h.heartbeat !== heartbeat) {
      health.set(name, { probe: now, renew, heartbeat });
      return false;
    }
    return now - h.probe > grace;
  }

  async function markUnknown(node: Node, now: number): Promise<Node> {
    const conditions = node.status?.conditions ?? [];
    const ready = conditions.find((c) => c.type === "Ready");
    if (ready?.status === "Unknown") return node;
    const t = rfc3339(now);
    const next = [...conditions.filter((c) => !UNKNOWN_CONDITIONS.includes(c.type))];
    for (const type of UNKNOWN_CONDITIONS) {
      const old = conditions.find((c) => c.type === type);
      if (!old && type !== "Ready") continue;
      next.push({
        ...old,
        type,
        status: "Unknown",
        // A node that never reported gets upstream's other wording.
        reason: old ? "NodeStatusUnknown" : "NodeStatusNeverUpdated",
        message: old ? "Kubelet stopped posting node status." : "Kubelet never posted node status.",
        lastTransitionTime: t,
        lastHeartbeatTime: old?.lastHeartbeatTime ?? t,
      });
    }
    const updated = await ctx.client.update<Node>(
      nodesRef,
      { ...node, status: { ...node.status, conditions: next } },
      {},
      "status",
    );
    ctx.recorder.event(node, "Normal", "NodeNotReady", `Node ${node.metadata?.name} status is now: NodeNotReady`);
    await markPodsNotReady(node.metadata?.name ?? "", t);
    return updated;
  }

  async function markPodsNotReady(nodeName: string, t: string): Promise<void> {
    for (const pod of podsByNode.get(nodeName)?.values() ?? []) {
      const conditions = pod.status?.conditions ?? [];
      if (!conditions.some((c) => c.type === "Ready" && c.status === "True")) continue;
      const next = conditions.map((c) => (c.type === "Ready" ? { ...c, status: "False", lastTransitionTime: t } : c));
      ctx.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready");
      try {
        await ctx.client.update(
          inNamespace(podsRef, pod.metadata?.namespace),
          { ...pod, status: { ...pod.status, conditions: next } },
          {},
          "status",
        );
      } catch (err) {
        if (!(err instanceof ApiError && [404, 409].includes(err.code))) throw err;
      }
    }
  }

  async function reconcileTaints(node: Node, now: number, fullDisruption: boolean): Promise<Node> {
    const current = node.spec?.taints ?? [];
    const wanted = conditionTaints(node).filter((t) => !fullDisruption || t.effect !== "NoExecute");
    const same = (a: core.Taint, b: core.Taint) => a.key === b.key && a.effect === b.effect;
    const kept = current.filter((t) => !MANAGED.has(t.key) || wanted.some((w) => same(w, t)));
    const added = wanted
      .filter((w) => !current.some((t) => same(t, w)))
      .map((w) => (w.effect === "NoExecute" ? { ...w, timeAdded: rfc3339(now) } : w));
    if (added.length === 0 && kept.length === current.length) return node;
    const taints = [...kept, ...added];
    return ctx.client.patch<Node>(
      nodesRef,
      node.metadata?.name ?? "",
      { spec: { taints: taints.length ? taints : null } },
      "merge",
    );
  }

  async function evictPods(node: Node, now: number): Promise<void> {
    const taints = (node.spec?.taints ?? []).filter((t) => t.effect === "NoExecute");
    if (taints.length === 0) return;
    let soonest = Number.POSITIVE_INFINITY;
    for (const pod of podsByNode.get(node.metadata?.name ?? "")?.values() ?? []) {
      if (pod.metadata?.deletionTimestamp) continue;
      const window = tolerationWindow(pod, taints, now, defaultToleration);
      if (window > 0) {
        soonest = Math.min(soonest, window);
        continue;
      }
      ctx.recorder.event(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${keyOf(pod)}`);
      try {
        await ctx.client.delete(inNamespace(podsRef, pod.metadata?.namespace), pod.metadata?.name ?? "");
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    if (Number.isFinite(soonest)) controller.enqueueAfter(node.metadata?.name ?? "", soonest);
  }

  return controller;
}
