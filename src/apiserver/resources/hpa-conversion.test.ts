import { expect, test } from "bun:test";
import type { autoscaling, KubeObject } from "../../api/types.ts";
import { defaultHpa, hpaV1ToV2, hpaV2ToV1 } from "./hpa-conversion.ts";

const v2: autoscaling.HorizontalPodAutoscaler = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web", namespace: "default" },
  spec: {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "200Mi" } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
  },
  status: {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 75 } } }],
    conditions: [{ type: "AbleToScale", status: "True", reason: "SucceededRescale" }],
  },
};

test("v2 → v1 keeps the CPU target in its own field and the rest in upstream's annotations; v1 → v2 restores it", () => {
  const v1 = hpaV2ToV1(v2 as KubeObject) as KubeObject & {
    spec: Record<string, unknown>;
    status: Record<string, unknown>;
  };
  expect(v1.apiVersion).toBe("autoscaling/v1");
  expect(v1.spec.targetCPUUtilizationPercentage).toBe(50);
  expect(v1.status.currentCPUUtilizationPercentage).toBe(75);
  expect(Object.keys(v1.metadata?.annotations ?? {}).sort()).toEqual([
    "autoscaling.alpha.kubernetes.io/behavior",
    "autoscaling.alpha.kubernetes.io/conditions",
    "autoscaling.alpha.kubernetes.io/metrics",
  ]);
  // A v1 client changes the target and writes back: nothing else of v2's is lost.
  v1.spec.targetCPUUtilizationPercentage = 60;
  const back = hpaV1ToV2(v1) as autoscaling.HorizontalPodAutoscaler;
  expect(back.spec?.metrics?.[0]?.resource?.target.averageUtilization).toBe(60);
  expect(back.spec?.metrics?.[1]).toEqual(v2.spec!.metrics![1]!);
  expect(back.spec?.behavior).toEqual(v2.spec!.behavior!);
  expect(back.status?.conditions).toEqual(v2.status!.conditions!);
  expect(back.metadata?.annotations).toBeUndefined();
});

test("defaults: minReplicas 1 and, with no metric, CPU at 80 % (kubectl autoscale without --cpu-percent)", () => {
  const bare = hpaV1ToV2({
    apiVersion: "autoscaling/v1",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web" },
    spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, maxReplicas: 3 },
  } as KubeObject) as autoscaling.HorizontalPodAutoscaler;
  defaultHpa(bare as KubeObject);
  expect(bare.spec?.minReplicas).toBe(1);
  expect(bare.spec?.metrics?.[0]?.resource?.target).toEqual({ type: "Utilization", averageUtilization: 80 });
});
