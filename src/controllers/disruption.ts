// DisruptionController: keeps each PodDisruptionBudget's status — expected pods (the scale of the pods'
// controllers, or the pods themselves), current and desired healthy counts, disruptionsAllowed and the
// DisruptionAllowed condition — which the eviction API checks before letting a pod go.

import { selectorMatches } from "../api/selector.ts";
import type { KubeObject, Pod, policy, ReplicaSet, StatefulSet } from "../api/types.ts";
import { poddisruptionbudgets as pdbRef, pods as podsRef, replicasets, statefulsets } from "../client/refs.ts";
import { writeStatus } from "./apiutil.ts";
import { rfc3339 } from "./clock.ts";
import { intOrPercent } from "./deployment_util.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { getControllerOf, keyOf, splitKey } from "./owner.ts";
import { isPodReady } from "./podutil.ts";

type PDB = KubeObject & { spec?: policy.PodDisruptionBudgetSpec; status?: policy.PodDisruptionBudgetStatus };

export function startDisruptionController(ctx: ControllerContext): Controller {
  const pdbs = ctx.informer<PDB>(pdbRef);
  const pods = ctx.informer<Pod>(podsRef);
  const rsInformer = ctx.informer<ReplicaSet>(replicasets);
  const ssInformer = ctx.informer<StatefulSet>(statefulsets);
  const controller = newController(ctx, "disruption", sync);
  pdbs.addEventHandler({
    onAdd: (p) => controller.enqueue(keyOf(p)),
    onUpdate: (_, p) => controller.enqueue(keyOf(p)),
  });
  const onPod = (...versions: Pod[]) => {
    for (const pdb of pdbs.lister.list(versions[0].metadata?.namespace)) {
      if (versions.some((p) => selectorMatches(pdb.spec?.selector, p.metadata?.labels))) controller.enqueue(keyOf(pdb));
    }
  };
  pods.addEventHandler({ onAdd: (p) => onPod(p), onUpdate: (o, p) => onPod(o, p), onDelete: (p) => onPod(p) });

  /** Expected pods for percentages: the summed scale of the pods' controllers, as upstream. */
  function expectedScale(matching: Pod[]): number {
    const seen = new Map<string, number>();
    let uncontrolled = 0;
    for (const pod of matching) {
      const ref = getControllerOf(pod);
      const ns = pod.metadata?.namespace;
      const owner =
        ref?.kind === "ReplicaSet"
          ? rsInformer.lister.get(ns, ref.name)
          : ref?.kind === "StatefulSet"
            ? ssInformer.lister.get(ns, ref.name)
            : undefined;
      if (owner && ref) seen.set(ref.uid, owner.spec?.replicas ?? 1);
      else uncontrolled++;
    }
    return [...seen.values()].reduce((a, b) => a + b, 0) + uncontrolled;
  }

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pdb = pdbs.lister.get(namespace, name);
    if (!pdb || pdb.metadata?.deletionTimestamp) return;
    const matching = pods.lister
      .list(namespace)
      .filter((p) => !p.metadata?.deletionTimestamp && selectorMatches(pdb.spec?.selector, p.metadata?.labels));
    const healthy = matching.filter(isPodReady).length;
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};
    const usesPercent = typeof minAvailable === "string" || typeof maxUnavailable === "string";
    const expected = usesPercent || maxUnavailable !== undefined ? expectedScale(matching) : matching.length;
    let desired: number;
    if (maxUnavailable !== undefined && maxUnavailable !== null)
      desired = Math.max(0, expected - intOrPercent(maxUnavailable, expected, true, "0"));
    else if (minAvailable !== undefined && minAvailable !== null)
      desired = intOrPercent(minAvailable, expected, true, "1");
    else desired = expected; // neither set: no disruption allowed
    const allowed = Math.max(0, healthy - desired);
    const now = rfc3339(ctx.clock.now());
    const old = pdb.status?.conditions?.find((c) => c.type === "DisruptionAllowed");
    const condStatus = allowed > 0 ? "True" : "False";
    const condition = {
      type: "DisruptionAllowed",
      status: condStatus,
      reason: allowed > 0 ? "SufficientPods" : "InsufficientPods",
      message: "",
      observedGeneration: pdb.metadata?.generation,
      lastTransitionTime: old?.status === condStatus ? old.lastTransitionTime : now,
    };
    const status: policy.PodDisruptionBudgetStatus = {
      ...(pdb.status ?? {}),
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      disruptionsAllowed: allowed,
      observedGeneration: pdb.metadata?.generation,
      conditions: [condition],
    };
    await writeStatus(ctx.client, pdbRef, pdb, status);
  }

  return controller;
}
