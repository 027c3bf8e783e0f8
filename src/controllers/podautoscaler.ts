// The HorizontalPodAutoscaler controller (autoscaling/v2), as kube-controller-manager's: every 15 s each HPA
// reads its target's scale subresource and its pods' metrics, computes a replica count (replica-calculator.ts),
// stabilises and clamps it, rescales the target and writes the HPA's status and conditions.

import type { Scale } from "kubernetes-types/autoscaling/v1";
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from "kubernetes-types/autoscaling/v2";
import type { Pod } from "../api/types.ts";
import { parseQuantity } from "../client/quantity.ts";
import { inNamespace, pods as podsRef, refFor } from "../client/refs.ts";
import { parseLabelSelector } from "../client/selectors.ts";
import type { KubeClient, ResourceRef } from "../client/types.ts";
import { writeStatus } from "./apiutil.ts";
import { rfc3339 } from "./clock.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { keyOf, splitKey } from "./owner.ts";
import {
  clampReplicas,
  DOWNSCALE_STABILIZATION_MS,
  limitByBehavior,
  MetricsError,
  type PodMetrics,
  type RateLimitReason,
  type Recommendation,
  type ResourceName,
  type ResourceTarget,
  recordScaleEvent,
  resourceReplicas,
  type ScaleEvent,
  stabilize,
} from "./replica-calculator.ts";

export type { PodMetrics } from "./replica-calculator.ts";

/** Where PodMetrics come from: the metrics API in production, a stub in tests. */
export type PodMetricsSource = (namespace: string, selector: string) => Promise<PodMetrics[]>;

export const hpaRef: ResourceRef = { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers" };
/** Upstream's --horizontal-pod-autoscaler-sync-period. */
export const HPA_SYNC_PERIOD_MS = 15_000;

type Condition = { type: string; status: string; reason: string; message: string; lastTransitionTime?: string };

/** PodMetrics through metrics.k8s.io, as upstream's REST metrics client reads them. */
export function metricsApiSource(client: KubeClient): PodMetricsSource {
  return async (namespace, selector) => {
    const query = selector ? `?labelSelector=${encodeURIComponent(selector)}` : "";
    const res = await client.request(
      "GET",
      `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods${query}`,
    );
    if (!res.ok) throw new MetricsError(`unable to fetch metrics from resource metrics API: HTTP ${res.status}`);
    const list = (await res.json()) as { items?: PodMetrics[] };
    return list.items ?? [];
  };
}

/** "cpu resource utilization (percentage of request)": how upstream names a metric in events and conditions. */
function metricName(resource: string, target: ResourceTarget): string {
  return target.type === "Utilization"
    ? `${resource} resource utilization (percentage of request)`
    : `${resource} resource`;
}

function targetOf(spec: MetricSpec): { resource: ResourceName; target: ResourceTarget } | undefined {
  const r = spec.type === "Resource" ? spec.resource : undefined;
  if (!r || (r.name !== "cpu" && r.name !== "memory")) return undefined;
  if (r.target.type === "Utilization" && r.target.averageUtilization) {
    return { resource: r.name, target: { type: "Utilization", utilization: r.target.averageUtilization } };
  }
  if (r.target.type === "AverageValue" && r.target.averageValue !== undefined) {
    return { resource: r.name, target: { type: "AverageValue", milliValue: quantityMilli(r.target.averageValue) } };
  }
  return undefined;
}

const quantityMilli = (q: string | number) => Math.round(parseQuantity(q) * 1000);
/** Milli-units back to a quantity ("250m", "3"), as upstream's NewMilliQuantity prints. */
const milliQuantity = (milli: number) => (milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`);

export function startPodAutoscalerController(
  ctx: ControllerContext,
  metrics: PodMetricsSource,
  opts: { syncPeriodMs?: number } = {},
): Controller {
  const hpaInformer = ctx.informer<HorizontalPodAutoscaler>(hpaRef);
  const podInformer = ctx.informer<Pod>(podsRef);
  const controller = newController(ctx, "horizontal-pod-autoscaler", sync);
  const recommendations = new Map<string, Recommendation[]>();
  const scaleEvents = new Map<string, { up: ScaleEvent[]; down: ScaleEvent[] }>();
  const eventsOf = (key: string) => {
    const events = scaleEvents.get(key) ?? { up: [], down: [] };
    scaleEvents.set(key, events);
    return events;
  };

  const enqueue = (hpa: HorizontalPodAutoscaler) => controller.enqueue(keyOf(hpa));
  hpaInformer.addEventHandler({
    onAdd: enqueue,
    // Only spec changes: our own status writes must not turn the 15 s period into a busy loop.
    onUpdate: (a, b) => {
      if (JSON.stringify(a.spec) !== JSON.stringify(b.spec)) enqueue(b);
    },
    onDelete: (hpa) => {
      recommendations.delete(keyOf(hpa));
      scaleEvents.delete(keyOf(hpa));
    },
  });
  controller.every(opts.syncPeriodMs ?? HPA_SYNC_PERIOD_MS, () => {
    for (const hpa of hpaInformer.lister.list()) enqueue(hpa);
  });

  async function sync(key: string): Promise<void> {
    const { namespace = "default", name } = splitKey(key);
    const hpa = hpaInformer.lister.get(namespace, name);
    if (!hpa?.spec || hpa.metadata?.deletionTimestamp) return;
    const now = ctx.clock.now();
    const conditions = new Conditions(hpa, rfc3339(now));
    const spec = hpa.spec;
    const target = spec.scaleTargetRef;
    const ref = inNamespace(refFor(target.apiVersion ?? "", target.kind), namespace);

    let scale: Scale;
    try {
      scale = await ctx.client.get<Scale>(ref, target.name, "scale");
    } catch (err) {
      const message = `the HPA controller was unable to get the target's current scale: ${(err as Error).message}`;
      conditions.set("AbleToScale", "False", "FailedGetScale", message);
      ctx.recorder.event(hpa, "Warning", "FailedGetScale", (err as Error).message);
      const status = statusOf(hpa, hpa.status?.currentReplicas ?? 0, hpa.status?.desiredReplicas ?? 0, conditions);
      await writeStatus(ctx.client, hpaRef, hpa, status);
      return;
    }
    conditions.set(
      "AbleToScale",
      "True",
      "SucceededGetScale",
      "the HPA controller was able to get the target's current scale",
    );
    const current = scale.spec?.replicas ?? 0;
    const min = spec.minReplicas ?? 1;
    const max = spec.maxReplicas;
    let desired = current;
    let reason = "";
    let currentMetrics: MetricStatus[] | undefined = hpa.status?.currentMetrics;

    if (current === 0 && min !== 0) {
      desired = 0;
      conditions.set(
        "ScalingActive",
        "False",
        "ScalingDisabled",
        "scaling is disabled since the replica count of the target is zero",
      );
    } else if (current > max) {
      desired = max;
      reason = "Current number of replicas above Spec.MaxReplicas";
    } else if (current < min) {
      desired = min;
      reason = "Current number of replicas below Spec.MinReplicas";
    } else {
      const { best: computed, statuses } = await computeReplicas(hpa, scale, current, conditions, now);
      currentMetrics = statuses;
      if (!computed) {
        const status = statusOf(hpa, current, hpa.status?.desiredReplicas ?? current, conditions, statuses);
        await writeStatus(ctx.client, hpaRef, hpa, status);
        return;
      }
      const history = recommendations.get(key) ?? [];
      recommendations.set(key, history);
      const downWindow = spec.behavior?.scaleDown?.stabilizationWindowSeconds;
      const upWindow = spec.behavior?.scaleUp?.stabilizationWindowSeconds;
      const stabilized = stabilize(
        history,
        computed.replicas,
        current,
        now,
        downWindow === undefined ? DOWNSCALE_STABILIZATION_MS : downWindow * 1000,
        (upWindow ?? 0) * 1000,
      );
      if (stabilized !== computed.replicas) {
        const up = computed.replicas >= current;
        conditions.set(
          "AbleToScale",
          "True",
          up ? "ScaleUpStabilized" : "ScaleDownStabilized",
          up
            ? "recent recommendations were lower than current one, applying the lowest recent recommendation"
            : "recent recommendations were higher than current one, applying the highest recent recommendation",
        );
      } else {
        conditions.set("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size");
      }
      // With spec.behavior its policies limit the rate; without, upstream's fixed max(2×current, 4) step.
      const clamped = spec.behavior
        ? limitByBehavior(stabilized, current, min, max, spec.behavior, eventsOf(key), now)
        : clampReplicas(stabilized, current, min, max);
      desired = clamped.replicas;
      setLimited(conditions, clamped.limit);
      reason = desired > current ? `${computed.metric} above target` : "All metrics below target";
    }

    const rescale = desired !== current;
    if (rescale) {
      try {
        await ctx.client.update(ref, { ...scale, spec: { ...scale.spec, replicas: desired } }, {}, "scale");
      } catch (err) {
        const message = `the HPA controller was unable to update the target scale: ${(err as Error).message}`;
        conditions.set("AbleToScale", "False", "FailedUpdateScale", message);
        ctx.recorder.event(
          hpa,
          "Warning",
          "FailedRescale",
          `New size: ${desired}; reason: ${reason}; error: ${(err as Error).message}`,
        );
        await writeStatus(
          ctx.client,
          hpaRef,
          hpa,
          statusOf(hpa, current, hpa.status?.desiredReplicas ?? current, conditions, currentMetrics),
        );
        throw err;
      }
      if (spec.behavior) recordScaleEvent(eventsOf(key), spec.behavior, current, desired, now);
      conditions.set(
        "AbleToScale",
        "True",
        "SucceededRescale",
        `the HPA controller was able to update the target scale to ${desired}`,
      );
      ctx.recorder.event(hpa, "Normal", "SuccessfulRescale", `New size: ${desired}; reason: ${reason}`);
    }
    const status = statusOf(hpa, current, desired, conditions, currentMetrics, rescale ? rfc3339(now) : undefined);
    await writeStatus(ctx.client, hpaRef, hpa, status);
  }

  /** The highest count any metric asks for (undefined, with the condition set, when none could be computed) and
   * each metric's current value, in spec order as kubectl's TARGETS column reads them (a failed one left empty). */
  async function computeReplicas(
    hpa: HorizontalPodAutoscaler,
    scale: Scale,
    current: number,
    conditions: Conditions,
    now: number,
  ): Promise<{ best?: { replicas: number; metric: string }; statuses: MetricStatus[] }> {
    const namespace = hpa.metadata?.namespace ?? "default";
    const selector = scale.status?.selector ?? "";
    if (!selector) {
      const message = "the HPA target's scale is missing a selector";
      conditions.set("ScalingActive", "False", "InvalidSelector", message);
      ctx.recorder.event(hpa, "Warning", "SelectorRequired", message);
      return { statuses: [] };
    }
    const matches = parseLabelSelector(selector);
    const pods = podInformer.lister.list(namespace).filter((p) => matches(p.metadata?.labels ?? {}));
    const specs = hpa.spec?.metrics?.length
      ? hpa.spec.metrics
      : [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }];

    let best: { replicas: number; metric: string } | undefined;
    const statuses: MetricStatus[] = specs.map(() => ({ type: "" }));
    let samples: Promise<PodMetrics[]> | undefined; // one query serves every Resource metric
    let invalid = 0;
    let failure: { reason: string; message: string } | undefined;
    for (const [i, spec] of specs.entries()) {
      const t = targetOf(spec);
      if (!t) {
        invalid++;
        failure ??= {
          reason: "InvalidMetricSourceType",
          message: `the HPA was unable to compute the replica count: unsupported metric source type "${spec.type}"`,
        };
        continue;
      }
      try {
        samples ??= metrics(namespace, selector);
        const r = resourceReplicas(current, t.target, t.resource, pods, await samples, now);
        const metric = metricName(t.resource, t.target);
        statuses[i] = {
          type: "Resource",
          resource: {
            name: t.resource,
            current:
              t.target.type === "Utilization"
                ? { averageUtilization: r.utilization, averageValue: milliQuantity(r.averageMilli) }
                : { averageValue: milliQuantity(r.averageMilli) },
          },
        };
        if (!best || r.replicas > best.replicas) best = { replicas: r.replicas, metric };
      } catch (err) {
        invalid++;
        const what =
          t.target.type === "Utilization" ? `${t.resource} utilization` : `${t.resource} resource metric value`;
        const message = `the HPA was unable to compute the replica count: failed to get ${what}: ${(err as Error).message}`;
        failure ??= { reason: "FailedGetResourceMetric", message };
        ctx.recorder.event(hpa, "Warning", "FailedGetResourceMetric", message);
      }
    }
    // Upstream: act on partial metrics only when that scales up (a missing metric might have asked for more).
    if (!best || (invalid > 0 && best.replicas < current)) {
      const f = failure ?? {
        reason: "FailedGetResourceMetric",
        message: "the HPA was unable to compute the replica count",
      };
      conditions.set("ScalingActive", "False", f.reason, f.message);
      ctx.recorder.event(hpa, "Warning", "FailedComputeMetricsReplicas", f.message);
      return { statuses };
    }
    conditions.set(
      "ScalingActive",
      "True",
      "ValidMetricFound",
      `the HPA was able to successfully calculate a replica count from ${best.metric}`,
    );
    return { best, statuses };
  }

  return controller;
}

const LIMIT_MESSAGES: Record<NonNullable<RateLimitReason>, string> = {
  TooFewReplicas: "the desired replica count is less than the minimum replica count",
  TooManyReplicas: "the desired replica count is more than the maximum replica count",
  ScaleUpLimit: "the desired replica count is increasing faster than the maximum scale rate",
  ScaleDownLimit: "the desired replica count is decreasing faster than the maximum scale rate",
};

function setLimited(conditions: Conditions, limit: RateLimitReason): void {
  if (limit) conditions.set("ScalingLimited", "True", limit, LIMIT_MESSAGES[limit]);
  else
    conditions.set("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range");
}

/** The HPA's conditions, keeping lastTransitionTime when a condition's status does not change (as upstream). */
class Conditions {
  readonly list: Condition[];
  constructor(
    hpa: HorizontalPodAutoscaler,
    private readonly now: string,
  ) {
    this.list = (hpa.status?.conditions ?? []).map((c) => ({ ...c, reason: c.reason ?? "", message: c.message ?? "" }));
  }
  set(type: string, status: string, reason: string, message: string): void {
    const existing = this.list.find((c) => c.type === type);
    if (!existing) {
      this.list.push({ type, status, lastTransitionTime: this.now, reason, message });
      return;
    }
    if (existing.status !== status) existing.lastTransitionTime = this.now;
    Object.assign(existing, { status, reason, message });
  }
}

function statusOf(
  hpa: HorizontalPodAutoscaler,
  currentReplicas: number,
  desiredReplicas: number,
  conditions: Conditions,
  currentMetrics = hpa.status?.currentMetrics,
  lastScaleTime = hpa.status?.lastScaleTime,
): HorizontalPodAutoscaler["status"] {
  const order = ["AbleToScale", "ScalingActive", "ScalingLimited"];
  const sorted = [...conditions.list].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  return {
    ...(hpa.metadata?.generation ? { observedGeneration: hpa.metadata.generation } : {}),
    ...(lastScaleTime ? { lastScaleTime } : {}),
    currentReplicas,
    desiredReplicas,
    ...(currentMetrics?.length ? { currentMetrics } : {}),
    conditions: sorted,
  };
}
