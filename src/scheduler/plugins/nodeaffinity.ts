// NodeAffinity: spec.nodeSelector and required node affinity (nodeSelectorTerms, ORed; expressions within a
// term ANDed) decide where a pod may go; preferred terms add their weights to a node's score.

import type { core, Node, Pod } from "../../api/types.ts";
import { defaultNormalizeScore, type Plugin, skip, unresolvable } from "../framework.ts";

export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

function requirementMatches(req: core.NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      if (value === undefined || values.length !== 1) return false;
      const have = Number.parseInt(value, 10);
      const bound = Number.parseInt(values[0] as string, 10);
      if (Number.isNaN(have) || Number.isNaN(bound)) return false;
      return req.operator === "Gt" ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

/** One term: all label expressions and field expressions (only metadata.name exists) hold. Empty matches none. */
export function nodeSelectorTermMatches(term: core.NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const req of exprs) if (!requirementMatches(req, labels[req.key])) return false;
  for (const req of fields) {
    if (req.key !== "metadata.name" || !requirementMatches(req, node.metadata?.name)) return false;
  }
  return true;
}

/** Whether the node satisfies the pod's nodeSelector and required node affinity (upstream's RequiredNodeAffinity). */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[key] !== value) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((term) => nodeSelectorTermMatches(term, node));
}

export const NodeAffinity: Plugin = {
  name: "NodeAffinity",
  weight: 2,
  preFilter(_state, pod) {
    const hasSelector = Object.keys(pod.spec?.nodeSelector ?? {}).length > 0;
    const hasRequired = !!pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    return hasSelector || hasRequired ? undefined : skip;
  },
  filter(_state, pod, node) {
    return podMatchesNodeSelectorAndAffinity(pod, node.node) ? undefined : unresolvable(ERR_REASON_NODE_AFFINITY);
  },
  preScore(_state, pod) {
    return pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? undefined : skip;
  },
  score(_state, pod, node) {
    let total = 0;
    for (const pref of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (pref.weight && nodeSelectorTermMatches(pref.preference, node.node)) total += pref.weight;
    }
    return total;
  },
  normalizeScore(_state, _pod, scores) {
    defaultNormalizeScore(scores, false);
  },
};
