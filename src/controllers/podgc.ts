// PodGCController: force-deletes pods nobody else will finish — pods bound to a node that no longer exists
// (after a quarantine, since a node may be re-registering), terminating pods that were never scheduled, and
// the oldest terminated pods beyond a threshold (upstream --terminated-pod-gc-threshold, 12500).

import type { Node, Pod } from "../api/types.ts";
import { inNamespace, nodes as nodesRef, pods as podsRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { keyOf } from "./owner.ts";

export interface PodGCOptions {
  terminatedThreshold?: number;
  /** How long a node must be gone before its pods are deleted (upstream: 40 s). */
  quarantineMs?: number;
  periodMs?: number;
}

export function startPodGCController(ctx: ControllerContext, opts: PodGCOptions = {}): Controller {
  const threshold = opts.terminatedThreshold ?? 12_500;
  const quarantine = opts.quarantineMs ?? 40_000;
  const period = opts.periodMs ?? 20_000;
  const pods = ctx.informer<Pod>(podsRef);
  const nodes = ctx.informer<Node>(nodesRef);
  const goneSince = new Map<string, number>(); // node name → when we first missed it
  const controller = newController(ctx, "podgc", gc);
  nodes.addEventHandler({ onDelete: () => controller.enqueue("gc") });
  pods.addEventHandler({
    onUpdate: (_, p) => p.metadata?.deletionTimestamp && !p.spec?.nodeName && controller.enqueue("gc"),
  });
  controller.every(period, () => controller.enqueue("gc"));

  async function forceDelete(pod: Pod, why: string) {
    ctx.recorder.event(pod, "Normal", "PodGC", why);
    try {
      await ctx.client.delete(inNamespace(podsRef, pod.metadata?.namespace), pod.metadata?.name ?? "", {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata?.uid },
      });
    } catch (err) {
      if (!(err instanceof ApiError && [404, 409].includes(err.code))) throw err;
    }
  }

  async function gc(): Promise<void> {
    const now = ctx.clock.now();
    const all = pods.lister.list();
    const present = new Set(nodes.lister.list().map((n) => n.metadata?.name));
    for (const name of goneSince.keys()) if (present.has(name)) goneSince.delete(name);
    let requeue = false;
    for (const pod of all) {
      const node = pod.spec?.nodeName;
      if (node && !present.has(node)) {
        const since = goneSince.get(node) ?? now;
        goneSince.set(node, since);
        if (now - since >= quarantine)
          await forceDelete(pod, `Deleting orphaned pod ${keyOf(pod)}: node ${node} is gone`);
        else requeue = true;
      } else if (!node && pod.metadata?.deletionTimestamp) {
        await forceDelete(pod, `Deleting unscheduled terminating pod ${keyOf(pod)}`);
      }
    }
    if (requeue) controller.enqueueAfter("gc", quarantine);
    const terminated = all
      .filter(
        (p) => (p.status?.phase === "Succeeded" || p.status?.phase === "Failed") && !p.metadata?.deletionTimestamp,
      )
      .sort((a, b) => (a.metadata?.creationTimestamp ?? "").localeCompare(b.metadata?.creationTimestamp ?? ""));
    for (const pod of terminated.slice(0, Math.max(0, terminated.length - threshold))) {
      await forceDelete(pod, `Deleting terminated pod ${keyOf(pod)} over the threshold of ${threshold}`);
    }
  }

  return controller;
}
