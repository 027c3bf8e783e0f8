// PodTopologySpread: keeps matching pods spread across topology domains. DoNotSchedule constraints reject a
// node when placing the pod there would exceed maxSkew over the least-loaded domain; ScheduleAnyway constraints
// score nodes in emptier domains higher.

import { selectorMatches } from "../../api/selector.ts";
import type { core, meta, Node, Pod } from "../../api/types.ts";
import { type CycleState, MAX_NODE_SCORE, type Plugin, skip, unresolvable, unschedulable } from "../framework.ts";
import type { NodeInfo } from "../nodeinfo.ts";
import { podMatchesNodeSelectorAndAffinity } from "./nodeaffinity.ts";
import { findUntoleratedTaint } from "./tainttoleration.ts";

export const ERR_CONSTRAINTS = "node(s) didn't match pod topology spread constraints";
export const ERR_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: meta.LabelSelector | undefined;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

/** The pod's constraints of one kind, with matchLabelKeys folded into the selector. */
function constraintsOf(pod: Pod, action: "DoNotSchedule" | "ScheduleAnyway"): Constraint[] {
  const labels = pod.metadata?.labels ?? {};
  return (pod.spec?.topologySpreadConstraints ?? [])
    .filter((c: core.TopologySpreadConstraint) => c.whenUnsatisfiable === action)
    .map((c) => {
      let selector = c.labelSelector;
      const extra = (c.matchLabelKeys ?? []).filter((k) => labels[k] !== undefined);
      if (selector && extra.length) {
        const matchExpressions = [...(selector.matchExpressions ?? [])];
        for (const k of extra) matchExpressions.push({ key: k, operator: "In", values: [labels[k] as string] });
        selector = { ...selector, matchExpressions };
      }
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        minDomains: c.minDomains ?? 1,
        honorAffinity: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
        honorTaints: c.nodeTaintsPolicy === "Honor",
      };
    });
}

const pair = (key: string, value: string) => `${key}\u0000${value}`;

function nodeCounts(pod: Pod, node: Node, constraints: Constraint[]): boolean {
  const labels = node.metadata?.labels ?? {};
  if (!constraints.every((c) => labels[c.topologyKey] !== undefined)) return false;
  if (constraints.some((c) => c.honorAffinity) && !podMatchesNodeSelectorAndAffinity(pod, node)) return false;
  if (
    constraints.some((c) => c.honorTaints) &&
    findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, ["NoSchedule", "NoExecute"])
  )
    return false;
  return true;
}

/** Pods in the pod's namespace on `node` that the constraint selects (terminating pods do not count). */
function matchingPods(node: NodeInfo, c: Constraint, namespace: string | undefined): number {
  let n = 0;
  for (const p of node.pods.values()) {
    if (p.pod.metadata?.namespace !== namespace || p.pod.metadata?.deletionTimestamp) continue;
    if (selectorMatches(c.selector, p.pod.metadata?.labels)) n++;
  }
  return n;
}

interface SpreadCounts {
  constraints: Constraint[];
  counts: Map<string, number>;
  domains: Map<string, Set<string>>; // topologyKey → values seen
}

function countDomains(pod: Pod, nodes: NodeInfo[], constraints: Constraint[]): SpreadCounts {
  const s: SpreadCounts = { constraints, counts: new Map(), domains: new Map() };
  for (const c of constraints) s.domains.set(c.topologyKey, new Set());
  for (const node of nodes) {
    if (!nodeCounts(pod, node.node, constraints)) continue;
    for (const c of constraints) {
      const value = node.node.metadata?.labels?.[c.topologyKey] as string;
      s.domains.get(c.topologyKey)?.add(value);
      const key = pair(c.topologyKey, value);
      s.counts.set(key, (s.counts.get(key) ?? 0) + matchingPods(node, c, pod.metadata?.namespace));
    }
  }
  return s;
}

const FILTER_KEY = "PodTopologySpread";
const SCORE_KEY = "PodTopologySpread/score";

interface ScoreState extends SpreadCounts {
  weights: number[];
  ignored: Set<string>;
}

export const PodTopologySpread: Plugin = {
  name: FILTER_KEY,
  weight: 2,
  preFilter(state, pod) {
    const constraints = constraintsOf(pod, "DoNotSchedule");
    if (constraints.length === 0) return skip;
    const s = countDomains(pod, state.snapshot.nodes, constraints);
    const minMatch = constraints.map((c) => {
      const values = s.domains.get(c.topologyKey) ?? new Set();
      if (values.size < c.minDomains) return 0;
      let min = Number.POSITIVE_INFINITY;
      for (const v of values) min = Math.min(min, s.counts.get(pair(c.topologyKey, v)) ?? 0);
      return Number.isFinite(min) ? min : 0;
    });
    state.write(FILTER_KEY, { ...s, minMatch });
    return undefined;
  },
  filter(state: CycleState, pod, node) {
    const s = state.read<SpreadCounts & { minMatch: number[] }>(FILTER_KEY);
    const labels = node.node.metadata?.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i] as Constraint;
      const value = labels[c.topologyKey];
      if (value === undefined) return unresolvable(ERR_MISSING_LABEL);
      const self = selectorMatches(c.selector, pod.metadata?.labels) ? 1 : 0;
      const skew = (s.counts.get(pair(c.topologyKey, value)) ?? 0) + self - (s.minMatch[i] as number);
      if (skew > c.maxSkew) return unschedulable(ERR_CONSTRAINTS);
    }
    return undefined;
  },
  preScore(state, pod, nodes) {
    const constraints = constraintsOf(pod, "ScheduleAnyway");
    if (constraints.length === 0) return skip;
    const ignored = new Set<string>();
    const domainsOfFeasible = new Map<string, Set<string>>(constraints.map((c) => [c.topologyKey, new Set()]));
    for (const n of nodes) {
      const labels = n.node.metadata?.labels ?? {};
      if (!constraints.every((c) => labels[c.topologyKey] !== undefined)) ignored.add(n.name);
      else for (const c of constraints) domainsOfFeasible.get(c.topologyKey)?.add(labels[c.topologyKey] as string);
    }
    const s = countDomains(pod, state.snapshot.nodes, constraints);
    const weights = constraints.map((c) => Math.log((domainsOfFeasible.get(c.topologyKey)?.size ?? 0) + 2));
    state.write(SCORE_KEY, { ...s, weights, ignored } satisfies ScoreState);
    return undefined;
  },
  score(state, _pod, node) {
    const s = state.read<ScoreState>(SCORE_KEY);
    if (s.ignored.has(node.name)) return 0;
    let score = 0;
    s.constraints.forEach((c, i) => {
      const value = node.node.metadata?.labels?.[c.topologyKey] as string;
      score += (s.counts.get(pair(c.topologyKey, value)) ?? 0) * (s.weights[i] as number) + (c.maxSkew - 1);
    });
    return Math.round(score);
  },
  normalizeScore(state, _pod, scores) {
    const s = state.read<ScoreState>(SCORE_KEY);
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const sc of scores) {
      if (s.ignored.has(sc.name)) continue;
      min = Math.min(min, sc.score);
      max = Math.max(max, sc.score);
    }
    for (const sc of scores) {
      if (s.ignored.has(sc.name)) sc.score = 0;
      else if (max === 0) sc.score = MAX_NODE_SCORE;
      else sc.score = Math.floor((MAX_NODE_SCORE * (max + min - sc.score)) / max);
    }
  },
};
