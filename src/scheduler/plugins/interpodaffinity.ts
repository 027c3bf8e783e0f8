// InterPodAffinity: required pod affinity/anti-affinity of the incoming pod, and required anti-affinity of pods
// already placed, decide per topology domain (node label value) where the pod may go; preferred terms of both
// sides, and existing pods' required affinity, score the domains.

import { selectorMatches } from "../../api/selector.ts";
import type { core, Pod } from "../../api/types.ts";
import { type CycleState, MAX_NODE_SCORE, type Plugin, skip, unresolvable, unschedulable } from "../framework.ts";
import type { NodeInfo, PodInfo, Snapshot } from "../nodeinfo.ts";

export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
const HARD_POD_AFFINITY_WEIGHT = 1;

/** Whether `term` (written in a pod of `ownerNamespace`) selects `pod`: namespaces, namespaceSelector, labels. */
export function termMatchesPod(
  term: core.PodAffinityTerm,
  ownerNamespace: string | undefined,
  pod: Pod,
  snapshot: Snapshot,
): boolean {
  const ns = pod.metadata?.namespace ?? "";
  const listed = term.namespaces ?? [];
  let nsOk: boolean;
  if (listed.length === 0 && !term.namespaceSelector) nsOk = ns === (ownerNamespace ?? "");
  else {
    nsOk = listed.includes(ns);
    if (!nsOk && term.namespaceSelector) nsOk = selectorMatches(term.namespaceSelector, snapshot.namespaceLabels(ns));
  }
  return nsOk && selectorMatches(term.labelSelector, pod.metadata?.labels);
}

type Counts = Map<string, number>; // "topologyKey\0value" → matching pods
const pair = (key: string, value: string) => `${key}\u0000${value}`;
const bump = (counts: Counts, node: NodeInfo, key: string, by: number) => {
  const value = node.node.metadata?.labels?.[key];
  if (value !== undefined) counts.set(pair(key, value), (counts.get(pair(key, value)) ?? 0) + by);
};

interface FilterState {
  existingAnti: Counts;
  affinity: Counts;
  anti: Counts;
}

function computeFilterState(state: CycleState, pod: Pod): FilterState {
  const me = state.podInfo;
  const s: FilterState = { existingAnti: new Map(), affinity: new Map(), anti: new Map() };
  for (const node of state.snapshot.nodes) {
    const needAll = me.requiredAffinityTerms.length > 0 || me.requiredAntiAffinityTerms.length > 0;
    if (!needAll && node.podsWithRequiredAntiAffinity === 0) continue;
    for (const other of node.pods.values()) {
      const otherNs = other.pod.metadata?.namespace;
      for (const term of other.requiredAntiAffinityTerms)
        if (termMatchesPod(term, otherNs, pod, state.snapshot)) bump(s.existingAnti, node, term.topologyKey, 1);
      if (!needAll) continue;
      if (me.requiredAffinityTerms.length && matchesAll(me.requiredAffinityTerms, pod, other.pod, state.snapshot))
        for (const term of me.requiredAffinityTerms) bump(s.affinity, node, term.topologyKey, 1);
      for (const term of me.requiredAntiAffinityTerms)
        if (termMatchesPod(term, pod.metadata?.namespace, other.pod, state.snapshot))
          bump(s.anti, node, term.topologyKey, 1);
    }
  }
  return s;
}

function matchesAll(terms: core.PodAffinityTerm[], owner: Pod, pod: Pod, snapshot: Snapshot): boolean {
  return terms.every((t) => termMatchesPod(t, owner.metadata?.namespace, pod, snapshot));
}

function hasExistingAntiAffinity(snapshot: Snapshot): boolean {
  return snapshot.nodes.some((n) => n.podsWithRequiredAntiAffinity > 0);
}

function hasTerms(p: PodInfo, preferred: boolean): boolean {
  return preferred
    ? p.preferredAffinityTerms.length > 0 || p.preferredAntiAffinityTerms.length > 0
    : p.requiredAffinityTerms.length > 0 || p.requiredAntiAffinityTerms.length > 0;
}

const KEY = "InterPodAffinity";
const SCORE_KEY = "InterPodAffinity/score";

export const InterPodAffinity: Plugin = {
  name: KEY,
  weight: 2,
  preFilter(state, pod) {
    if (!hasTerms(state.podInfo, false) && !hasExistingAntiAffinity(state.snapshot)) return skip;
    state.write(KEY, computeFilterState(state, pod));
    return undefined;
  },
  filter(state, pod, node) {
    const s = state.read<FilterState>(KEY);
    const labels = node.node.metadata?.labels ?? {};
    for (const [key, value] of Object.entries(labels))
      if ((s.existingAnti.get(pair(key, value)) ?? 0) > 0) return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
    for (const term of state.podInfo.requiredAntiAffinityTerms) {
      const value = labels[term.topologyKey];
      if (value !== undefined && (s.anti.get(pair(term.topologyKey, value)) ?? 0) > 0)
        return unschedulable(ERR_ANTI_AFFINITY);
    }
    const affinity = state.podInfo.requiredAffinityTerms;
    if (affinity.length === 0) return undefined;
    let podsExist = true;
    for (const term of affinity) {
      const value = labels[term.topologyKey];
      if (value === undefined) return unresolvable(ERR_AFFINITY);
      if ((s.affinity.get(pair(term.topologyKey, value)) ?? 0) <= 0) podsExist = false;
    }
    // The first pod of a group that selects itself may start anywhere its topology keys exist.
    if (!podsExist && !(s.affinity.size === 0 && matchesAll(affinity, pod, pod, state.snapshot)))
      return unresolvable(ERR_AFFINITY);
    return undefined;
  },
  preScore(state, pod) {
    const me = state.podInfo;
    const mine = hasTerms(me, true);
    const scores: Counts = new Map();
    for (const node of state.snapshot.nodes) {
      if (!mine && node.podsWithAffinity === 0) continue;
      for (const other of node.pods.values()) {
        const otherNs = other.pod.metadata?.namespace;
        for (const t of me.preferredAffinityTerms)
          if (termMatchesPod(t.podAffinityTerm, pod.metadata?.namespace, other.pod, state.snapshot))
            bump(scores, node, t.podAffinityTerm.topologyKey, t.weight);
        for (const t of me.preferredAntiAffinityTerms)
          if (termMatchesPod(t.podAffinityTerm, pod.metadata?.namespace, other.pod, state.snapshot))
            bump(scores, node, t.podAffinityTerm.topologyKey, -t.weight);
        for (const t of other.requiredAffinityTerms)
          if (termMatchesPod(t, otherNs, pod, state.snapshot))
            bump(scores, node, t.topologyKey, HARD_POD_AFFINITY_WEIGHT);
        for (const t of other.preferredAffinityTerms)
          if (termMatchesPod(t.podAffinityTerm, otherNs, pod, state.snapshot))
            bump(scores, node, t.podAffinityTerm.topologyKey, t.weight);
        for (const t of other.preferredAntiAffinityTerms)
          if (termMatchesPod(t.podAffinityTerm, otherNs, pod, state.snapshot))
            bump(scores, node, t.podAffinityTerm.topologyKey, -t.weight);
      }
    }
    if (scores.size === 0) return skip;
    state.write(SCORE_KEY, scores);
    return undefined;
  },
  score(state, _pod, node) {
    const scores = state.read<Counts>(SCORE_KEY);
    let total = 0;
    for (const [key, value] of Object.entries(node.node.metadata?.labels ?? {}))
      total += scores.get(pair(key, value)) ?? 0;
    return total;
  },
  normalizeScore(_state, _pod, scores) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const s of scores) {
      min = Math.min(min, s.score);
      max = Math.max(max, s.score);
    }
    for (const s of scores) s.score = max > min ? Math.floor((MAX_NODE_SCORE * (s.score - min)) / (max - min)) : 0;
  },
};
