// DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where evicting lower-priority pods would
// make it fit, pick the candidate that hurts least, delete those victims and nominate the node for the pod.

import { selectorMatches } from "../../api/selector.ts";
import type { Pod, policy } from "../../api/types.ts";
import { inNamespace, pods } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import {
  type CycleState,
  type Diagnosis,
  fitErrorMessage,
  type Plugin,
  type PostFilterResult,
  runFilters,
  runPreFilter,
  type Status,
  unresolvable,
  unschedulable,
} from "../framework.ts";
import { type NodeInfo, overlaySnapshot, type PodInfo } from "../nodeinfo.ts";

type PodDisruptionBudget = policy.PodDisruptionBudget;

export const NOT_HELPFUL = "Preemption is not helpful for scheduling";
export const NO_VICTIMS = "No preemption victims found for incoming pod";

export interface PreemptionHandle {
  client: KubeClient;
  /** Plugins whose PreFilter/Filter decide whether the pod fits once victims are gone. */
  plugins: () => Plugin[];
  /** Pods nominated to a node (they may preempt there), to clear when a more important pod takes it. */
  nominatedPods(nodeName: string): PodInfo[];
  clearNomination(pod: Pod): Promise<void>;
  event(obj: Pod, type: "Normal" | "Warning", reason: string, message: string): void;
  /** PodDisruptionBudgets, when the API serves them. */
  disruptionBudgets?(): PodDisruptionBudget[];
}

interface Candidate {
  node: string;
  victims: PodInfo[];
  /** Victims whose eviction would break a PodDisruptionBudget. */
  pdbViolations: number;
}

/** Whether the pod fits on `node` (a copy with pods removed or added) with the given cycle state. */
function fits(h: PreemptionHandle, state: CycleState, pod: Pod, node: NodeInfo): Status | undefined {
  const dry = state.withSnapshot(overlaySnapshot(state.snapshot, [node]));
  dry.skipFilter.clear();
  return runPreFilter(h.plugins(), dry, pod) ?? runFilters(h.plugins(), dry, pod, node);
}

/** upstream's MoreImportantPod: higher priority, then started earlier. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const start = (p: PodInfo) => Date.parse(p.pod.status?.startTime ?? p.pod.metadata?.creationTimestamp ?? "") || 0;
  return start(a) - start(b);
}

/** The fewest, least important pods on `node` whose removal lets `pod` fit (upstream's SelectVictimsOnNode). */
function selectVictims(h: PreemptionHandle, state: CycleState, pod: Pod, original: NodeInfo): Candidate | Status {
  const node = original.clone();
  const priority = state.podInfo.priority;
  const potential = [...node.pods.values()].filter((p) => p.priority < priority).sort(moreImportant);
  if (potential.length === 0) return unresolvable(NO_VICTIMS);
  for (const p of potential) node.removePod(p.key);
  const failure = fits(h, state, pod, node);
  if (failure) return failure;
  const victims: PodInfo[] = [];
  let pdbViolations = 0;
  // Give back as many pods as possible, most important first; pods protected by a PodDisruptionBudget first of all.
  const { violating, nonViolating } = splitByDisruptionBudget(potential, h.disruptionBudgets?.() ?? []);
  const reprieve = (p: PodInfo): boolean => {
    node.addPod(p);
    if (!fits(h, state, pod, node)) return true;
    node.removePod(p.key);
    victims.push(p);
    return false;
  };
  for (const p of violating) if (!reprieve(p)) pdbViolations++;
  for (const p of nonViolating) reprieve(p);
  if (victims.length === 0) return unresolvable(NO_VICTIMS);
  return { node: original.name, victims: victims.sort(moreImportant), pdbViolations };
}

/** upstream's filterPodsWithPDBViolation: which pods' eviction would exceed a matching budget's allowance. */
function splitByDisruptionBudget(candidates: PodInfo[], budgets: PodDisruptionBudget[]) {
  const allowed = budgets.map((b) => b.status?.disruptionsAllowed ?? 0);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const p of candidates) {
    let violates = false;
    budgets.forEach((b, i) => {
      const selector = b.spec?.selector;
      if (b.metadata?.namespace !== p.pod.metadata?.namespace || !selector) return;
      if (!selector.matchLabels && !selector.matchExpressions) return; // an empty selector matches nothing here
      if (!selectorMatches(selector, p.pod.metadata?.labels)) return;
      if (b.status?.disruptedPods?.[p.pod.metadata?.name ?? ""]) return; // already being evicted
      allowed[i] = (allowed[i] as number) - 1;
      if ((allowed[i] as number) < 0) violates = true;
    });
    (violates ? violating : nonViolating).push(p);
  }
  return { violating, nonViolating };
}

/**
 * upstream's pickOneNodeForPreemption: fewest PodDisruptionBudget violations, then the lowest most important
 * victim, then the lowest sum of priorities, then the fewest victims.
 */
function pickCandidate(candidates: Candidate[]): Candidate {
  const key = (c: Candidate) => {
    const top = Math.max(...c.victims.map((v) => v.priority));
    const sum = c.victims.reduce((s, v) => s + v.priority + 2 ** 31, 0); // shift so negative priorities still add
    return [c.pdbViolations, top, sum, c.victims.length];
  };
  return candidates.reduce((best, c) => {
    const [a, b] = [key(c), key(best)];
    for (let i = 0; i < a.length; i++) {
      if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) < (b[i] as number) ? c : best;
    }
    return best;
  });
}

function eligible(state: CycleState, pod: Pod): string | undefined {
  if (pod.spec?.preemptionPolicy === "Never") return "not eligible due to preemptionPolicy=Never.";
  const nominated = pod.status?.nominatedNodeName;
  const node = nominated ? state.snapshot.get(nominated) : undefined;
  if (node) {
    for (const p of node.pods.values()) {
      if (p.pod.metadata?.deletionTimestamp && p.priority < state.podInfo.priority)
        return "not eligible due to a terminating pod on the nominated node.";
    }
  }
  return undefined;
}

export function defaultPreemption(h: PreemptionHandle): Plugin {
  async function preempt(state: CycleState, pod: Pod, d: Diagnosis): Promise<PostFilterResult> {
    const notEligible = eligible(state, pod);
    if (notEligible) return { status: unschedulable(notEligible) };
    const nodeToStatus = new Map<string, Status>();
    const candidates: Candidate[] = [];
    const nodes = state.snapshot.nodes;
    const wanted = Math.min(nodes.length, Math.max(100, Math.floor(nodes.length / 10)));
    for (const node of nodes) {
      const status = d.nodeToStatus.get(node.name);
      if (!status || status.code === "UnschedulableAndUnresolvable") {
        nodeToStatus.set(node.name, unresolvable(NOT_HELPFUL));
        continue;
      }
      if (candidates.length >= wanted) continue;
      const result = selectVictims(h, state, pod, node);
      if ("victims" in result) candidates.push(result);
      else nodeToStatus.set(node.name, result);
    }
    if (candidates.length === 0) {
      const message = fitErrorMessage({ nodeToStatus, numAllNodes: nodes.length });
      return { status: unschedulable(message) };
    }
    const best = pickCandidate(candidates);
    await Promise.all(
      best.victims.map(async (v) => {
        h.event(v.pod, "Normal", "Preempted", `Preempted by pod ${pod.metadata?.uid} on node ${best.node}`);
        await h.client
          .delete(inNamespace(pods, v.pod.metadata?.namespace), v.pod.metadata?.name as string)
          .catch(() => {});
      }),
    );
    // Lower-priority pods nominated to this node would compete for the space just freed.
    await Promise.all(
      h
        .nominatedPods(best.node)
        .filter((p) => p.priority < state.podInfo.priority && p.key !== state.podInfo.key)
        .map((p) => h.clearNomination(p.pod)),
    );
    return { nominatedNodeName: best.node, status: { code: "Success", reasons: [] } };
  }
  return {
    name: "DefaultPreemption",
    async postFilter(state, pod, diagnosis) {
      const result = await preempt(state, pod, diagnosis);
      // Whatever preemption has to say is reported after the filters' reasons, prefixed as upstream does.
      const reasons = result.status.reasons.map((r) => `preemption: ${r}`);
      return { ...result, status: { ...result.status, reasons } };
    },
  };
}
