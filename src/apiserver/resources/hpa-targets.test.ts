import { expect, test } from "bun:test";
import type { autoscaling } from "../../api/types.ts";
import { hpaTargets } from "./hpa-targets.ts";

const cpu = (averageUtilization: number): autoscaling.MetricSpec => ({
  type: "Resource",
  resource: { name: "cpu", target: { type: "Utilization", averageUtilization } },
});

test("TARGETS reads as kubectl prints it: current/target per metric, <unknown> before the first measurement", () => {
  const hpa: autoscaling.HorizontalPodAutoscaler = {
    spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, maxReplicas: 5, metrics: [cpu(50)] },
  };
  expect(hpaTargets(hpa)).toBe("cpu: <unknown>/50%");
  hpa.status = {
    desiredReplicas: 1,
    currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 42 } } }],
  };
  expect(hpaTargets(hpa)).toBe("cpu: 42%/50%");
  const memory: autoscaling.MetricSpec = {
    type: "Resource",
    resource: { name: "memory", target: { type: "AverageValue", averageValue: "200Mi" } },
  };
  hpa.spec!.metrics = [cpu(50), memory, cpu(80)];
  expect(hpaTargets(hpa)).toBe("cpu: 42%/50%, memory: <unknown>/200Mi + 1 more...");
  expect(hpaTargets({ spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, maxReplicas: 1 } })).toBe("<none>");
});
