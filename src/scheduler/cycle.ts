// One scheduling cycle, without I/O: PreFilter, then Filter over a rotating sample of nodes (all of them in
// small clusters), then Score and the choice of a host. It never awaits, so the cache cannot change under it.

import type { Pod } from "../api/types.ts";
import {
  CycleState,
  type Diagnosis,
  type NodeScore,
  type Plugin,
  runFilters,
  runPreFilter,
  runScores,
  type Status,
} from "./framework.ts";
import type { NodeInfo, PodInfo, Snapshot } from "./nodeinfo.ts";

export type CycleResult =
  | { kind: "scheduled"; nodeName: string; state: CycleState; evaluated: number; feasible: number }
  | { kind: "unschedulable"; diagnosis: Diagnosis; state: CycleState }
  | { kind: "noNodes" };

export interface CycleOptions {
  /** Upstream's percentageOfNodesToScore; 0 means adaptive (50% minus 1% per 125 nodes, at least 5%). */
  percentageOfNodesToScore?: number;
  /** Pods nominated to a node by preemption, which other pods must leave room for. */
  nominatedPods?(nodeName: string): PodInfo[];
  random?: () => number;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/** How many feasible nodes are enough before scoring (upstream's numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let adaptive = percentage;
  if (adaptive <= 0) adaptive = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.floor(numAllNodes / 125));
  const num = Math.floor((numAllNodes * adaptive) / 100);
  return Math.max(num, MIN_FEASIBLE_NODES_TO_FIND);
}

export class SchedulingCycle {
  private nextStartNodeIndex = 0;

  constructor(
    private readonly plugins: Plugin[],
    private readonly opts: CycleOptions = {},
  ) {}

  run(podInfo: PodInfo, snapshot: Snapshot): CycleResult {
    const pod = podInfo.pod;
    const nodes = snapshot.nodes;
    if (nodes.length === 0) return { kind: "noNodes" };
    const state = new CycleState(podInfo, snapshot);
    const diagnosis: Diagnosis = { nodeToStatus: new Map(), numAllNodes: nodes.length };

    const preFailure = runPreFilter(this.plugins, state, pod);
    if (preFailure) {
      for (const n of nodes) diagnosis.nodeToStatus.set(n.name, preFailure);
      diagnosis.preFilterMsg = preFailure.reasons.join(", ");
      return { kind: "unschedulable", diagnosis, state };
    }

    // A pod that preempted for a node tries that node first.
    const nominated = pod.status?.nominatedNodeName ? snapshot.get(pod.status.nominatedNodeName) : undefined;
    if (nominated && !this.filter(state, pod, nominated)) {
      return { kind: "scheduled", nodeName: nominated.name, state, evaluated: 1, feasible: 1 };
    }

    const feasible: NodeInfo[] = [];
    const wanted = numFeasibleNodesToFind(nodes.length, this.opts.percentageOfNodesToScore);
    let processed = 0;
    for (; processed < nodes.length && feasible.length < wanted; processed++) {
      const node = nodes[(this.nextStartNodeIndex + processed) % nodes.length] as NodeInfo;
      const failure = this.filter(state, pod, node);
      if (failure) diagnosis.nodeToStatus.set(node.name, failure);
      else feasible.push(node);
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % nodes.length;
    if (feasible.length === 0) return { kind: "unschedulable", diagnosis, state };
    if (feasible.length === 1) {
      return { kind: "scheduled", nodeName: (feasible[0] as NodeInfo).name, state, evaluated: processed, feasible: 1 };
    }
    const scores = runScores(this.plugins, state, pod, feasible);
    return {
      kind: "scheduled",
      nodeName: this.selectHost(scores),
      state,
      evaluated: processed,
      feasible: feasible.length,
    };
  }

  /** Filters with room left for nominated pods of at least this pod's priority (upstream runs these twice). */
  private filter(state: CycleState, pod: Pod, node: NodeInfo): Status | undefined {
    const nominated = this.opts.nominatedPods?.(node.name);
    if (!nominated?.length) return runFilters(this.plugins, state, pod, node);
    const ahead = nominated.filter((p) => p.priority >= state.podInfo.priority && p.key !== state.podInfo.key);
    if (ahead.length === 0) return runFilters(this.plugins, state, pod, node);
    const withNominated = node.clone();
    for (const p of ahead) withNominated.addPod(p);
    return runFilters(this.plugins, state, pod, withNominated);
  }

  /** The highest total score; ties are broken at random so equal nodes share the load. */
  private selectHost(scores: NodeScore[]): string {
    const random = this.opts.random ?? Math.random;
    let best = scores[0] as NodeScore;
    let ties = 1;
    for (let i = 1; i < scores.length; i++) {
      const s = scores[i] as NodeScore;
      if (s.score > best.score) {
        best = s;
        ties = 1;
      } else if (s.score === best.score) {
        ties++;
        if (random() * ties < 1) best = s;
      }
    }
    return best.name;
  }
}
