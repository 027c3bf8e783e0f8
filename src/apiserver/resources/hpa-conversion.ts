// autoscaling/v1 ↔ v2 HorizontalPodAutoscaler, as upstream converts them: v1 knows only a CPU utilization target,
// so whatever else a v2 object holds (other metrics, behavior, conditions, current metrics) rides in upstream's
// `autoscaling.alpha.kubernetes.io/*` annotations on the v1 shape and comes back from them, and a v1 client's
// update keeps it. `kubectl autoscale` (1.32) writes v1; the controller and `kubectl get hpa` read v2.

import type { autoscaling, KubeObject } from "../../api/types.ts";

type V2 = autoscaling.HorizontalPodAutoscaler;
type Metric = autoscaling.MetricSpec;

const METRICS = "autoscaling.alpha.kubernetes.io/metrics";
const BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior";
const CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions";
const CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics";

/** Upstream's default when an HPA names no metric: 80 % of the pods' CPU request. */
export const DEFAULT_CPU_UTILIZATION = 80;

const isCpuUtilization = (m: Metric) =>
  m.type === "Resource" && m.resource?.name === "cpu" && m.resource.target?.type === "Utilization";

const parse = <T>(text: string | undefined): T | undefined => {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};

/** minReplicas 1 and, without metrics, CPU at 80 % — upstream's v2 defaults. */
export function defaultHpa(obj: KubeObject): void {
  const spec = (obj as V2).spec;
  if (!spec) return;
  spec.minReplicas ??= 1;
  if (!spec.metrics?.length) {
    spec.metrics = [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: DEFAULT_CPU_UTILIZATION } },
      },
    ];
  }
}

export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const hpa = obj as V2;
  const annotations: Record<string, string> = { ...(hpa.metadata?.annotations ?? {}) };
  const metrics = hpa.spec?.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[METRICS] = JSON.stringify(others);
  if (hpa.spec?.behavior) annotations[BEHAVIOR] = JSON.stringify(hpa.spec.behavior);
  const status = hpa.status;
  const cpuNow = status?.currentMetrics?.find(
    (m) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource.current?.averageUtilization !== undefined,
  );
  const otherNow = (status?.currentMetrics ?? []).filter((m) => m !== cpuNow && m.type !== "");
  if (otherNow.length) annotations[CURRENT_METRICS] = JSON.stringify(otherNow);
  if (status?.conditions?.length) annotations[CONDITIONS] = JSON.stringify(status.conditions);
  return {
    apiVersion: "autoscaling/v1",
    kind: "HorizontalPodAutoscaler",
    metadata: { ...hpa.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: hpa.spec && {
      scaleTargetRef: hpa.spec.scaleTargetRef,
      minReplicas: hpa.spec.minReplicas,
      maxReplicas: hpa.spec.maxReplicas,
      ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource?.target.averageUtilization } : {}),
    },
    status: status && {
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas,
      ...(cpuNow ? { currentCPUUtilizationPercentage: cpuNow.resource?.current.averageUtilization } : {}),
    },
  } as KubeObject;
}

export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const spec = (obj as { spec?: Record<string, unknown> }).spec;
  const status = (obj as { status?: Record<string, unknown> }).status;
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const others = parse<Metric[]>(annotations[METRICS]) ?? [];
  const behavior = parse<autoscaling.HorizontalPodAutoscalerBehavior>(annotations[BEHAVIOR]);
  const conditions = parse<autoscaling.HorizontalPodAutoscalerCondition[]>(annotations[CONDITIONS]);
  const currentOthers = parse<autoscaling.MetricStatus[]>(annotations[CURRENT_METRICS]) ?? [];
  for (const key of [METRICS, BEHAVIOR, CONDITIONS, CURRENT_METRICS]) delete annotations[key];
  const target = spec?.targetCPUUtilizationPercentage as number | undefined;
  const metrics: Metric[] = [
    ...(target !== undefined
      ? [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: target } } }]
      : []),
    ...others,
  ];
  const cpuNow = status?.currentCPUUtilizationPercentage as number | undefined;
  const currentMetrics: autoscaling.MetricStatus[] = [
    ...(cpuNow !== undefined
      ? [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: cpuNow } } }]
      : []),
    ...currentOthers,
  ];
  const metadata = { ...obj.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata,
    spec: spec && {
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      ...(metrics.length ? { metrics } : {}),
      ...(behavior ? { behavior } : {}),
    },
    ...(status
      ? {
          status: {
            observedGeneration: status.observedGeneration,
            lastScaleTime: status.lastScaleTime,
            currentReplicas: status.currentReplicas,
            desiredReplicas: status.desiredReplicas,
            ...(currentMetrics.length ? { currentMetrics } : {}),
            ...(conditions ? { conditions } : {}),
          },
        }
      : {}),
  } as KubeObject;
}
