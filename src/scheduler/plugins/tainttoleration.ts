// TaintToleration: a node's NoSchedule/NoExecute taints (incl. node.kubernetes.io/not-ready and unreachable)
// reject pods that do not tolerate them; untolerated PreferNoSchedule taints lower the node's score.

import type { core } from "../../api/types.ts";
import { defaultNormalizeScore, type Plugin, unresolvable } from "../framework.ts";

/** Upstream's ToleratesTaint: effect and key must match when set; Exists ignores the value. */
export function toleratesTaint(t: core.Toleration, taint: Pick<core.Taint, "key" | "value" | "effect">): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === "Exists") return true;
  if (!t.operator || t.operator === "Equal") return (t.value ?? "") === (taint.value ?? "");
  return false;
}

/** The first taint (of the given effects) no toleration covers. */
export function findUntoleratedTaint(
  taints: core.Taint[] | undefined,
  tolerations: core.Toleration[] | undefined,
  effects: string[],
): core.Taint | undefined {
  for (const taint of taints ?? []) {
    if (!effects.includes(taint.effect)) continue;
    if (!(tolerations ?? []).some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

const SCORE_KEY = "TaintToleration/preferNoScheduleTolerations";

export const TaintToleration: Plugin = {
  name: "TaintToleration",
  weight: 3,
  filter(_state, pod, node) {
    const taint = findUntoleratedTaint(node.node.spec?.taints, pod.spec?.tolerations, ["NoSchedule", "NoExecute"]);
    return taint ? unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`) : undefined;
  },
  preScore(state, pod) {
    // Only tolerations that can cover PreferNoSchedule count here, as upstream.
    state.write(
      SCORE_KEY,
      (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === "PreferNoSchedule"),
    );
    return undefined;
  },
  score(state, _pod, node) {
    const taints = node.node.spec?.taints;
    if (!taints?.length) return 0;
    const tolerations = state.read<core.Toleration[]>(SCORE_KEY);
    let count = 0;
    for (const taint of taints) {
      if (taint.effect === "PreferNoSchedule" && !tolerations.some((t) => toleratesTaint(t, taint))) count++;
    }
    return count;
  },
  normalizeScore(_state, _pod, scores) {
    defaultNormalizeScore(scores, true);
  },
};
