// The TARGETS column of `kubectl get hpa`, as kubectl's printer writes it for autoscaling/v2: per metric
// "current/target" ("cpu: 42%/50%", "memory: 120Mi/200Mi"), <unknown> until the autoscaler has measured, and at
// most two metrics before "+ N more...".

import type { autoscaling } from "../../api/types.ts";

type Hpa = autoscaling.HorizontalPodAutoscaler;
type Target = autoscaling.MetricTarget;
type Current = autoscaling.MetricValueStatus | undefined;

function pair(current: Current, target: Target | undefined): string {
  if (target?.averageUtilization !== undefined) {
    const now = current?.averageUtilization;
    return `${now === undefined ? "<unknown>" : `${now}%`}/${target.averageUtilization}%`;
  }
  const value = (c: Current) => (c?.averageValue ?? c?.value)?.toString();
  const want = (target?.averageValue ?? target?.value)?.toString() ?? "<unset>";
  return `${value(current) ?? "<unknown>"}/${want}`;
}

export function hpaTargets(hpa: Hpa): string {
  const metrics = hpa.spec?.metrics ?? [];
  if (metrics.length === 0) return "<none>";
  const current = hpa.status?.currentMetrics ?? [];
  const parts = metrics.map((m, i) => {
    const now = current[i];
    switch (m.type) {
      case "Resource":
        return `${m.resource?.name}: ${pair(now?.resource?.current, m.resource?.target)}`;
      case "ContainerResource":
        return `${m.containerResource?.name}: ${pair(now?.containerResource?.current, m.containerResource?.target)}`;
      case "Pods":
        return pair(now?.pods?.current, m.pods?.target);
      case "Object":
        return pair(now?.object?.current, m.object?.target);
      case "External":
        return pair(now?.external?.current, m.external?.target);
      default:
        return "<unknown type>";
    }
  });
  return parts.length > 2 ? `${parts.slice(0, 2).join(", ")} + ${parts.length - 2} more...` : parts.join(", ");
}
