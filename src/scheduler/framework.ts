// The scheduling framework: a pod passes through named extension points (PreFilter, Filter, PostFilter, PreScore,
// Score, NormalizeScore, Bind); each plugin implements the ones it needs. The runners here are the only code
// that knows the order; plugins never call each other.

import type { Pod } from "../api/types.ts";
import type { NodeInfo, PodInfo, Snapshot } from "./nodeinfo.ts";

export type Code = "Success" | "Unschedulable" | "UnschedulableAndUnresolvable" | "Error" | "Skip";

export interface Status {
  code: Code;
  /** Upstream's wording, e.g. "Insufficient cpu"; counted per node in the FailedScheduling message. */
  reasons: string[];
  plugin?: string;
}

export const unschedulable = (...reasons: string[]): Status => ({ code: "Unschedulable", reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: "UnschedulableAndUnresolvable", reasons });
export const skip: Status = { code: "Skip", reasons: [] };

/** Per-attempt scratch space; plugins keep their PreFilter/PreScore results here under their own name. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();

  constructor(
    readonly podInfo: PodInfo,
    readonly snapshot: Snapshot,
  ) {}

  private filters: { from: Plugin[]; skipped: number; active: Plugin[] } | undefined;

  /** The plugins with a Filter that PreFilter did not skip (cached while the skip set is unchanged). */
  activeFilters(plugins: Plugin[]): Plugin[] {
    const f = this.filters;
    if (f && f.from === plugins && f.skipped === this.skipFilter.size) return f.active;
    const active = plugins.filter((p) => p.filter && !this.skipFilter.has(p.name));
    this.filters = { from: plugins, skipped: this.skipFilter.size, active };
    return active;
  }

  read<T>(key: string): T {
    return this.data.get(key) as T;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  /** A copy for a dry run against changed nodes (preemption). */
  withSnapshot(snapshot: Snapshot): CycleState {
    const copy = new CycleState(this.podInfo, snapshot);
    for (const [k, v] of this.data) copy.data.set(k, v);
    for (const s of this.skipFilter) copy.skipFilter.add(s);
    return copy;
  }
}

export interface NodeScore {
  name: string;
  score: number;
}

export const MAX_NODE_SCORE = 100;

export interface Diagnosis {
  /** Why each node that failed was rejected. */
  nodeToStatus: Map<string, Status>;
  /** A PreFilter rejection applies to every node at once. */
  preFilterMsg?: string;
  postFilterMsg?: string;
  numAllNodes: number;
}

export interface PostFilterResult {
  nominatedNodeName?: string;
  status: Status;
}

export interface Plugin {
  readonly name: string;
  /** Score weight (default 1). */
  readonly weight?: number;
  /** Pod-level work once per cycle; return `skip` to skip this plugin's Filter, a failure to reject all nodes. */
  preFilter?(state: CycleState, pod: Pod): Status | undefined;
  filter?(state: CycleState, pod: Pod, node: NodeInfo): Status | undefined;
  postFilter?(state: CycleState, pod: Pod, diagnosis: Diagnosis): Promise<PostFilterResult>;
  /** Work over the feasible nodes before scoring; `skip` skips this plugin's Score. */
  preScore?(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status | undefined;
  score?(state: CycleState, pod: Pod, node: NodeInfo): number;
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): void;
  /** Work before binding, off the scheduling loop (e.g. provisioning volumes for the chosen node). */
  preBind?(state: CycleState, pod: Pod, nodeName: string): Promise<Status | undefined>;
  bind?(pod: Pod, nodeName: string): Promise<Status | undefined>;
}

const isFailure = (s: Status | undefined): s is Status => s !== undefined && s.code !== "Success" && s.code !== "Skip";

export function runPreFilter(plugins: Plugin[], state: CycleState, pod: Pod): Status | undefined {
  for (const p of plugins) {
    if (!p.preFilter) continue;
    const s = p.preFilter(state, pod);
    if (s?.code === "Skip") state.skipFilter.add(p.name);
    else if (isFailure(s)) return { ...s, plugin: p.name };
  }
  return undefined;
}

/** The first failing Filter's status for this node, or undefined when the pod fits. */
export function runFilters(plugins: Plugin[], state: CycleState, pod: Pod, node: NodeInfo): Status | undefined {
  // Hot path (every node of every cycle): the plugins left after PreFilter are worked out once per cycle.
  const active = state.activeFilters(plugins);
  for (let i = 0; i < active.length; i++) {
    const p = active[i] as Plugin;
    const s = (p.filter as NonNullable<Plugin["filter"]>)(state, pod, node);
    if (s !== undefined && isFailure(s)) return { ...s, plugin: p.name };
  }
  return undefined;
}

/** Weighted, normalised scores of the feasible nodes, summed per node. */
export function runScores(plugins: Plugin[], state: CycleState, pod: Pod, nodes: NodeInfo[]): NodeScore[] {
  const totals = nodes.map((n) => ({ name: n.name, score: 0 }));
  for (const p of plugins) {
    if (!p.score) continue;
    if (p.preScore?.(state, pod, nodes)?.code === "Skip") continue;
    const scores = nodes.map((n) => ({
      name: n.name,
      score: (p.score as NonNullable<Plugin["score"]>)(state, pod, n),
    }));
    p.normalizeScore?.(state, pod, scores);
    const weight = p.weight ?? 1;
    for (let i = 0; i < scores.length; i++) (totals[i] as NodeScore).score += (scores[i] as NodeScore).score * weight;
  }
  return totals;
}

/** Upstream's helper: scales scores to 0..100 by the maximum, optionally reversed (fewer is better). */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) max = Math.max(max, s.score);
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = MAX_NODE_SCORE;
    return;
  }
  for (const s of scores) {
    const scaled = Math.floor((MAX_NODE_SCORE * s.score) / max);
    s.score = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
}

export const NO_NODE_AVAILABLE = (n: number) => `0/${n} nodes are available`;

/**
 * The FitError message kube-scheduler writes on the pod and in the FailedScheduling event:
 * "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}. preemption: ...".
 */
export function fitErrorMessage(d: Diagnosis): string {
  let msg = `${NO_NODE_AVAILABLE(d.numAllNodes)}:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const histogram = reasonHistogram(d.nodeToStatus.values());
    if (histogram.length) msg += ` ${histogram.join(", ")}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}

/** "N reason" strings sorted as upstream sorts them (as strings). */
export function reasonHistogram(statuses: Iterable<Status>): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
}
