// The HPA's arithmetic, as upstream's replica_calculator.go and its stabilisation: pure functions from pods, their
// metrics and a target to a recommended replica count, with no I/O, so every case is tested without a cluster.

import type { Pod } from "../api/types.ts";
import { parseQuantity } from "../client/quantity.ts";
import { podReadyCondition } from "./podutil.ts";

/** A metrics.k8s.io/v1beta1 PodMetrics, as far as the HPA reads it. */
export interface PodMetrics {
  metadata: { name?: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers: { name: string; usage: { cpu?: string; memory?: string } }[];
}

/** Upstream's --horizontal-pod-autoscaler-tolerance. */
export const TOLERANCE = 0.1;
/** Upstream's --horizontal-pod-autoscaler-cpu-initialization-period. */
export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** Upstream's --horizontal-pod-autoscaler-initial-readiness-delay. */
export const INITIAL_READINESS_DELAY_MS = 30_000;
/** Upstream's --horizontal-pod-autoscaler-downscale-stabilization. */
export const DOWNSCALE_STABILIZATION_MS = 300_000;

export type ResourceName = "cpu" | "memory";

/** What a Resource metric aims for: a percentage of the pods' requests, or an average value (milli-units). */
export type ResourceTarget =
  | { type: "Utilization"; utilization: number }
  | { type: "AverageValue"; milliValue: number };

export interface ReplicaResult {
  replicas: number;
  /** Percent of request (Utilization targets only). */
  utilization?: number;
  /** Average usage per pod in milli-units (millicores, millibytes) — the "raw" value upstream reports. */
  averageMilli: number;
}

/** Why no count could be computed (upstream's error strings); the controller reports it as a condition. */
export class MetricsError extends Error {}

type Usage = Map<string, number>; // pod name → milli-units

const milliOf = (q: string | number | undefined) => Math.round(parseQuantity(q) * 1000);
const within = (ratio: number) => Math.abs(1 - ratio) <= TOLERANCE;

/** A pod's usage of `resource` summed over its containers, in milli-units. */
export function podUsageMilli(m: PodMetrics, resource: ResourceName): number {
  return m.containers.reduce((sum, c) => sum + milliOf(c.usage?.[resource]), 0);
}

interface PodGroups {
  readyCount: number;
  ignored: Set<string>;
  unready: Set<string>;
  missing: Set<string>;
}

/** Upstream's groupPods: pods being deleted or failed are ignored, pending or (for CPU) still starting are unready. */
function groupPods(pods: Pod[], usage: Usage, resource: ResourceName, now: number, metrics: Map<string, PodMetrics>) {
  const g: PodGroups = { readyCount: 0, ignored: new Set(), unready: new Set(), missing: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? "";
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === "Failed") {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === "Pending") {
      g.unready.add(name);
      continue;
    }
    if (!usage.has(name)) {
      g.missing.add(name);
      continue;
    }
    if (resource === "cpu" && cpuUnready(pod, metrics.get(name), now)) {
      g.unready.add(name);
      continue;
    }
    g.readyCount++;
  }
  return g;
}

/** A CPU sample from a pod still starting up is not trusted (it may be the burst of initialisation). */
function cpuUnready(pod: Pod, m: PodMetrics | undefined, now: number): boolean {
  const cond = podReadyCondition(pod);
  const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : Number.NaN;
  if (!cond || Number.isNaN(start)) return true;
  const transition = cond.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : 0;
  if (start + CPU_INITIALIZATION_PERIOD_MS > now) {
    const sampled = m?.timestamp ? Date.parse(m.timestamp) : now;
    return cond.status === "False" || sampled < transition + windowMs(m?.window);
  }
  return cond.status === "False" && start + INITIAL_READINESS_DELAY_MS > transition;
}

function windowMs(window: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(window ?? "");
  if (!m) return 0;
  return Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
}

/** Sum of the pods' container requests of `resource` (milli-units); upstream refuses pods without one. */
function podRequests(pods: Pod[], resource: ResourceName): Usage {
  const requests: Usage = new Map();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      const req = c.resources?.requests?.[resource];
      if (req === undefined) {
        throw new MetricsError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name}`);
      }
      sum += milliOf(req);
    }
    requests.set(pod.metadata?.name ?? "", sum);
  }
  return requests;
}

/** The usage ratio to the target over the pods in `usage`, and the current utilization / average behind it. */
function usageRatio(usage: Usage, requests: Usage, target: ResourceTarget) {
  let used = 0;
  let requested = 0;
  let n = 0;
  for (const [name, value] of usage) {
    if (target.type === "Utilization" && !requests.has(name)) continue;
    used += value;
    requested += requests.get(name) ?? 0;
    n++;
  }
  const averageMilli = n ? Math.trunc(used / n) : 0;
  if (target.type === "AverageValue") return { ratio: averageMilli / target.milliValue, averageMilli };
  if (requested === 0) throw new MetricsError("no metrics returned matched known pods");
  const utilization = Math.trunc((used * 100) / requested);
  return { ratio: utilization / target.utilization, utilization, averageMilli };
}

/**
 * The replica count `target` asks for given the pods behind a scale target and their metrics (upstream's
 * GetResourceReplicas / GetRawResourceReplicas). Missing samples count as 100 % of the target when scaling
 * down and 0 when scaling up, unready pods as 0 when scaling up, so neither makes the HPA overshoot.
 */
export function resourceReplicas(
  currentReplicas: number,
  target: ResourceTarget,
  resource: ResourceName,
  pods: Pod[],
  podMetrics: PodMetrics[],
  now: number,
): ReplicaResult {
  if (pods.length === 0) throw new MetricsError("no pods returned by selector while calculating replica count");
  const byName = new Map(podMetrics.map((m) => [m.metadata.name ?? "", m]));
  const usage: Usage = new Map([...byName].map(([name, m]) => [name, podUsageMilli(m, resource)]));
  const g = groupPods(pods, usage, resource, now, byName);
  for (const name of [...g.ignored, ...g.unready]) usage.delete(name);
  // Samples of pods not behind the target (the selector of the metrics query is the same, but be exact).
  const known = new Set(pods.map((p) => p.metadata?.name ?? ""));
  for (const name of usage.keys()) if (!known.has(name)) usage.delete(name);
  if (usage.size === 0) throw new MetricsError("did not receive metrics for targeted pods (pods might be unready)");

  const requests =
    target.type === "Utilization"
      ? podRequests(
          pods.filter((p) => !g.ignored.has(p.metadata?.name ?? "")),
          resource,
        )
      : new Map<string, number>();
  const first = usageRatio(usage, requests, target);
  const result = (replicas: number): ReplicaResult => ({
    replicas,
    utilization: first.utilization,
    averageMilli: first.averageMilli,
  });

  const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    return result(within(first.ratio) ? currentReplicas : Math.ceil(first.ratio * g.readyCount));
  }
  if (g.missing.size > 0) {
    for (const name of g.missing) {
      if (first.ratio < 1) usage.set(name, fallbackUsage(name, requests, target));
      else if (first.ratio > 1) usage.set(name, 0);
    }
  }
  if (scaleUpWithUnready) for (const name of g.unready) usage.set(name, 0);
  const next = usageRatio(usage, requests, target);
  // Filling the gaps must not flip the direction or make the change pointless.
  if (within(next.ratio) || (first.ratio < 1 && next.ratio > 1) || (first.ratio > 1 && next.ratio < 1)) {
    return result(currentReplicas);
  }
  const replicas = Math.ceil(next.ratio * usage.size);
  if ((next.ratio < 1 && replicas > currentReplicas) || (next.ratio > 1 && replicas < currentReplicas)) {
    return result(currentReplicas);
  }
  return result(replicas);
}

/** A missing pod on the way down is assumed at 100 % of its request (or of the target, if that is higher). */
function fallbackUsage(name: string, requests: Usage, target: ResourceTarget): number {
  if (target.type === "AverageValue") return target.milliValue;
  return Math.trunc(((requests.get(name) ?? 0) * Math.max(100, target.utilization)) / 100);
}

export interface Recommendation {
  at: number;
  replicas: number;
}

/**
 * Upstream's stabilizeRecommendation: the highest recommendation within the scale-down window (so a brief dip
 * does not remove pods) and the lowest within the scale-up window (none by default). Records `desired` in
 * `history` (pruned to the longer window) and returns the stabilised count.
 */
export function stabilize(
  history: Recommendation[],
  desired: number,
  current: number,
  now: number,
  downWindowMs = DOWNSCALE_STABILIZATION_MS,
  upWindowMs = 0,
): number {
  let up = desired;
  let down = desired;
  for (const r of history) {
    if (r.at > now - upWindowMs) up = Math.min(up, r.replicas);
    if (r.at > now - downWindowMs) down = Math.max(down, r.replicas);
  }
  const keep = Math.max(downWindowMs, upWindowMs);
  const kept = history.filter((r) => r.at > now - keep);
  history.splice(0, history.length, ...kept, { at: now, replicas: desired });
  // Up: never beyond the lowest recent recommendation; down: never below the highest one.
  let stabilized = current;
  if (stabilized < up) stabilized = up;
  if (stabilized > down) stabilized = down;
  return stabilized;
}

export type LimitReason = "TooFewReplicas" | "TooManyReplicas" | "ScaleUpLimit" | undefined;

/** Clamps to [min, max] and upstream's default rate (at most max(2×current, 4) in one step), saying what bit. */
export function clampReplicas(
  desired: number,
  current: number,
  min: number,
  max: number,
): { replicas: number; limit: LimitReason } {
  const scaleUpLimit = Math.max(2 * current, 4);
  const ceiling = Math.min(max, scaleUpLimit);
  if (desired > ceiling) return { replicas: ceiling, limit: ceiling === max ? "TooManyReplicas" : "ScaleUpLimit" };
  if (desired < min) return { replicas: min, limit: "TooFewReplicas" };
  return { replicas: desired, limit: undefined };
}

/** A change the HPA made, remembered for the rate limits of spec.behavior's policies. */
export interface ScaleEvent {
  at: number;
  change: number; // replicas added (scale-up list) or removed (scale-down list), positive
}

export interface ScalingPolicy {
  type: string; // "Pods" | "Percent"
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  selectPolicy?: string; // "Max" (default) | "Min" | "Disabled"
  policies?: ScalingPolicy[];
}

/** Upstream's defaults for a behavior whose policies are not given. */
export const DEFAULT_SCALE_UP_POLICIES: ScalingPolicy[] = [
  { type: "Pods", value: 4, periodSeconds: 15 },
  { type: "Percent", value: 100, periodSeconds: 15 },
];
export const DEFAULT_SCALE_DOWN_POLICIES: ScalingPolicy[] = [{ type: "Percent", value: 100, periodSeconds: 15 }];

export type RateLimitReason = "ScaleUpLimit" | "ScaleDownLimit" | "TooManyReplicas" | "TooFewReplicas" | undefined;

/** Replicas changed by the events within the last `periodSeconds`. */
function changedWithin(events: ScaleEvent[], periodSeconds: number, now: number): number {
  return events.filter((e) => e.at > now - periodSeconds * 1000).reduce((sum, e) => sum + e.change, 0);
}

/** Where the target stood when each policy's period began, from the changes made since. */
function periodStart(current: number, up: ScaleEvent[], down: ScaleEvent[], period: number, now: number): number {
  return current - changedWithin(up, period, now) + changedWithin(down, period, now);
}

/**
 * Upstream's convertDesiredReplicasWithBehaviorRate: limits how fast spec.behavior lets the count move (each
 * policy allows a change per period; selectPolicy Max takes the most permissive, Min the least, Disabled none),
 * then clamps to [min, max], saying which bound applied.
 */
export function limitByBehavior(
  desired: number,
  current: number,
  min: number,
  max: number,
  rules: { scaleUp?: ScalingRules; scaleDown?: ScalingRules },
  events: { up: ScaleEvent[]; down: ScaleEvent[] },
  now: number,
): { replicas: number; limit: RateLimitReason } {
  if (desired > current) {
    const r = rules.scaleUp ?? {};
    let limit = current;
    if (r.selectPolicy !== "Disabled") {
      const proposals = (r.policies?.length ? r.policies : DEFAULT_SCALE_UP_POLICIES).map((p) => {
        const start = periodStart(current, events.up, events.down, p.periodSeconds, now);
        return p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      });
      limit = r.selectPolicy === "Min" ? Math.min(...proposals) : Math.max(...proposals);
    }
    limit = Math.max(limit, current); // until older scale-ups leave the period, no further growth
    const ceiling = Math.min(max, limit);
    if (desired > ceiling) return { replicas: ceiling, limit: max > limit ? "ScaleUpLimit" : "TooManyReplicas" };
  } else if (desired < current) {
    const r = rules.scaleDown ?? {};
    let limit = current;
    if (r.selectPolicy !== "Disabled") {
      const proposals = (r.policies?.length ? r.policies : DEFAULT_SCALE_DOWN_POLICIES).map((p) => {
        const start = periodStart(current, events.up, events.down, p.periodSeconds, now);
        return p.type === "Pods" ? start - p.value : Math.trunc(start * (1 - p.value / 100));
      });
      limit = r.selectPolicy === "Min" ? Math.max(...proposals) : Math.min(...proposals);
    }
    limit = Math.min(limit, current);
    const floor = Math.max(min, limit);
    if (desired < floor) return { replicas: floor, limit: min < limit ? "ScaleDownLimit" : "TooFewReplicas" };
  }
  return { replicas: desired, limit: undefined };
}

/** Records a rescale for later rate limits, dropping events older than the longest policy period. */
export function recordScaleEvent(
  events: { up: ScaleEvent[]; down: ScaleEvent[] },
  rules: { scaleUp?: ScalingRules; scaleDown?: ScalingRules },
  from: number,
  to: number,
  now: number,
): void {
  const up = to > from;
  const list = up ? events.up : events.down;
  const policies = (up ? rules.scaleUp?.policies : rules.scaleDown?.policies) ?? [];
  const longest = Math.max(15, ...policies.map((p) => p.periodSeconds));
  const kept = list.filter((e) => e.at > now - longest * 1000);
  list.splice(0, list.length, ...kept, { at: now, change: Math.abs(to - from) });
}
