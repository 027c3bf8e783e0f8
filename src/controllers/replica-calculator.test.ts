import { describe, expect, test } from "bun:test";
import type { Pod } from "../api/types.ts";
import { rfc3339 } from "./clock.ts";
import {
  clampReplicas,
  limitByBehavior,
  MetricsError,
  type PodMetrics,
  type Recommendation,
  recordScaleEvent,
  resourceReplicas,
  type ScaleEvent,
  stabilize,
} from "./replica-calculator.ts";

const NOW = Date.UTC(2026, 0, 1, 12);
const LONG_AGO = rfc3339(NOW - 3600_000);

function pod(
  name: string,
  cpuRequest = "100m",
  opts: { phase?: string; ready?: boolean; startedAgoMs?: number } = {},
): Pod {
  const started = rfc3339(NOW - (opts.startedAgoMs ?? 3600_000));
  return {
    metadata: { name, namespace: "default" },
    spec: { containers: [{ name: "app", image: "x", resources: { requests: { cpu: cpuRequest, memory: "64Mi" } } }] },
    status: {
      phase: opts.phase ?? "Running",
      startTime: started,
      conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True", lastTransitionTime: started }],
    },
  };
}

function sample(name: string, cpu: string, memory = "32Mi"): PodMetrics {
  return {
    metadata: { name, namespace: "default" },
    timestamp: rfc3339(NOW - 5000),
    window: "15s",
    containers: [{ name: "app", usage: { cpu, memory } }],
  };
}

const cpu50 = { type: "Utilization", utilization: 50 } as const;

describe("resourceReplicas", () => {
  test("scales up by the utilization ratio", () => {
    const r = resourceReplicas(2, cpu50, "cpu", [pod("a"), pod("b")], [sample("a", "100m"), sample("b", "100m")], NOW);
    expect(r).toEqual({ replicas: 4, utilization: 100, averageMilli: 100 });
  });

  test("scales down by the utilization ratio", () => {
    const pods = [pod("a"), pod("b"), pod("c"), pod("d")];
    const r = resourceReplicas(
      4,
      cpu50,
      "cpu",
      pods,
      pods.map((p) => sample(p.metadata?.name ?? "", "10m")),
      NOW,
    );
    expect(r.replicas).toBe(1);
    expect(r.utilization).toBe(10);
  });

  test("no change within the 10% tolerance", () => {
    const r = resourceReplicas(2, cpu50, "cpu", [pod("a"), pod("b")], [sample("a", "54m"), sample("b", "54m")], NOW);
    expect(r.replicas).toBe(2);
    expect(r.utilization).toBe(54);
  });

  test("sums containers and handles nanocore samples", () => {
    const m: PodMetrics = {
      metadata: { name: "a" },
      containers: [
        { name: "x", usage: { cpu: "60000000n" } },
        { name: "y", usage: { cpu: "40m" } },
      ],
    };
    const r = resourceReplicas(1, cpu50, "cpu", [pod("a")], [m], NOW);
    expect(r.utilization).toBe(100);
    expect(r.replicas).toBe(2);
  });

  test("a missing sample counts as 0 when scaling up", () => {
    // a alone: 200% (ratio 4); with b assumed idle: (200m+0)/200m = 100% → ratio 2 over 2 pods → 4.
    const r = resourceReplicas(2, cpu50, "cpu", [pod("a"), pod("b")], [sample("a", "200m")], NOW);
    expect(r.utilization).toBe(200);
    expect(r.replicas).toBe(4);
  });

  test("a missing sample counts as 100% of its request when scaling down", () => {
    // a alone: 10% → would scale to 1; b assumed at 100%: (10+100)/200 = 55% → within tolerance of 50%? 1.1 → yes.
    const r = resourceReplicas(2, cpu50, "cpu", [pod("a"), pod("b")], [sample("a", "10m")], NOW);
    expect(r.replicas).toBe(2);
  });

  test("unready pods count as 0 when scaling up, and pending ones are not sampled", () => {
    const pods = [
      pod("a"),
      pod("b", "100m", { ready: false, startedAgoMs: 10_000 }),
      pod("c", "100m", { phase: "Pending" }),
    ];
    const r = resourceReplicas(3, cpu50, "cpu", pods, [sample("a", "150m"), sample("b", "150m")], NOW);
    // a: 300% of target → with b, c at 0: 150m/300m = 50% → ratio 1 → no change.
    expect(r.replicas).toBe(3);
  });

  test("pods being deleted or failed are ignored", () => {
    const gone = pod("b");
    gone.metadata = { ...gone.metadata, deletionTimestamp: LONG_AGO };
    const r = resourceReplicas(2, cpu50, "cpu", [pod("a"), gone], [sample("a", "100m"), sample("b", "0")], NOW);
    expect(r.replicas).toBe(2);
    expect(r.utilization).toBe(100);
  });

  test("no samples at all is an error", () => {
    expect(() => resourceReplicas(1, cpu50, "cpu", [pod("a")], [], NOW)).toThrow(MetricsError);
    expect(() => resourceReplicas(1, cpu50, "cpu", [], [], NOW)).toThrow("no pods returned by selector");
  });

  test("a container without a request is an error for Utilization targets", () => {
    const p = pod("a");
    p.spec = { containers: [{ name: "app", image: "x" }] };
    expect(() => resourceReplicas(1, cpu50, "cpu", [p], [sample("a", "10m")], NOW)).toThrow("missing request for cpu");
  });

  test("AverageValue targets divide the average by the target", () => {
    const target = { type: "AverageValue", milliValue: 32 * 2 ** 20 * 1000 } as const;
    const r = resourceReplicas(
      2,
      target,
      "memory",
      [pod("a"), pod("b")],
      [sample("a", "1m", "96Mi"), sample("b", "1m", "96Mi")],
      NOW,
    );
    expect(r.replicas).toBe(6);
    expect(r.utilization).toBeUndefined();
  });
});

describe("stabilize", () => {
  test("scale-down takes the highest recommendation of the window; scale-up is immediate", () => {
    const history: Recommendation[] = [];
    expect(stabilize(history, 5, 2, NOW)).toBe(5);
    expect(stabilize(history, 1, 5, NOW + 60_000)).toBe(5);
    expect(stabilize(history, 1, 5, NOW + 299_000)).toBe(5);
    // The recommendation of 5 leaves the window; the later ones of 1 remain.
    expect(stabilize(history, 1, 5, NOW + 301_000)).toBe(1);
  });

  test("a configured window replaces the default", () => {
    const history: Recommendation[] = [];
    stabilize(history, 4, 4, NOW, 60_000);
    expect(stabilize(history, 2, 4, NOW + 30_000, 60_000)).toBe(4);
    expect(stabilize(history, 2, 4, NOW + 61_000, 60_000)).toBe(2);
  });

  test("a scale-up window holds back growth to the lowest recent recommendation", () => {
    const history: Recommendation[] = [];
    stabilize(history, 2, 2, NOW, 300_000, 60_000);
    expect(stabilize(history, 6, 2, NOW + 10_000, 300_000, 60_000)).toBe(2);
    expect(stabilize(history, 6, 2, NOW + 70_000, 300_000, 60_000)).toBe(6);
  });
});

describe("clampReplicas", () => {
  test("min, max and the default scale-up rate", () => {
    expect(clampReplicas(0, 2, 1, 5)).toEqual({ replicas: 1, limit: "TooFewReplicas" });
    expect(clampReplicas(9, 4, 1, 5)).toEqual({ replicas: 5, limit: "TooManyReplicas" });
    expect(clampReplicas(9, 1, 1, 10)).toEqual({ replicas: 4, limit: "ScaleUpLimit" });
    expect(clampReplicas(3, 2, 1, 5)).toEqual({ replicas: 3, limit: undefined });
  });
});

describe("limitByBehavior", () => {
  const none = { up: [], down: [] };

  test("default scale-up policies: the larger of +4 pods and +100% per 15 s", () => {
    expect(limitByBehavior(20, 2, 1, 50, {}, none, NOW)).toEqual({ replicas: 6, limit: "ScaleUpLimit" });
    expect(limitByBehavior(20, 10, 1, 50, {}, none, NOW)).toEqual({ replicas: 20, limit: undefined });
    expect(limitByBehavior(8, 2, 1, 5, {}, none, NOW)).toEqual({ replicas: 5, limit: "TooManyReplicas" });
  });

  test("selectPolicy Min takes the smaller change, Disabled none", () => {
    expect(limitByBehavior(20, 2, 1, 50, { scaleUp: { selectPolicy: "Min" } }, none, NOW).replicas).toBe(4);
    expect(limitByBehavior(20, 2, 1, 50, { scaleUp: { selectPolicy: "Disabled" } }, none, NOW)).toEqual({
      replicas: 2,
      limit: "ScaleUpLimit",
    });
  });

  test("changes already made within a policy's period count against it", () => {
    const rules = { scaleDown: { policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] } };
    const events = { up: [] as ScaleEvent[], down: [] as ScaleEvent[] };
    expect(limitByBehavior(1, 5, 1, 10, rules, events, NOW)).toEqual({ replicas: 4, limit: "ScaleDownLimit" });
    recordScaleEvent(events, rules, 5, 4, NOW);
    expect(limitByBehavior(1, 4, 1, 10, rules, events, NOW + 30_000)).toEqual({ replicas: 4, limit: "ScaleDownLimit" });
    expect(limitByBehavior(1, 4, 1, 10, rules, events, NOW + 61_000)).toEqual({ replicas: 3, limit: "ScaleDownLimit" });
  });

  test("the minimum still holds when the policies would allow more", () => {
    expect(limitByBehavior(0, 5, 2, 10, {}, none, NOW)).toEqual({ replicas: 2, limit: "TooFewReplicas" });
  });
});
