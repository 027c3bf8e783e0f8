import { describe, expect, test } from "bun:test";
import { numFeasibleNodesToFind, SchedulingCycle } from "./cycle.ts";
import { fitErrorMessage } from "./framework.ts";
import { newPodInfo } from "./nodeinfo.ts";
import { DEFAULT_PLUGINS } from "./plugins/registry.ts";
import { makeNode, makePod, makeSnapshot } from "./testing.ts";

describe("scheduling cycle", () => {
  test("an unschedulable pod gets upstream's FitError message", () => {
    const snapshot = makeSnapshot([
      makeNode("small", { cpu: "1" }),
      makeNode("t1", { taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }),
      makeNode("t2", { taints: [{ key: "k", value: "v", effect: "NoExecute" }] }),
    ]);
    const result = new SchedulingCycle(DEFAULT_PLUGINS).run(newPodInfo(makePod("p", { cpu: "2" })), snapshot);
    expect(result.kind).toBe("unschedulable");
    if (result.kind !== "unschedulable") return;
    expect(fitErrorMessage(result.diagnosis)).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}.",
    );
    result.diagnosis.postFilterMsg = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    expect(fitErrorMessage(result.diagnosis)).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  test("picks the best-scoring feasible node", () => {
    const snapshot = makeSnapshot(
      [makeNode("busy"), makeNode("idle"), makeNode("tainted", { taints: [{ key: "x", effect: "NoSchedule" }] })],
      [makePod("hog", { nodeName: "busy", cpu: "3", memory: "6Gi" })],
    );
    const cycle = new SchedulingCycle(DEFAULT_PLUGINS);
    for (let i = 0; i < 5; i++) {
      const result = cycle.run(newPodInfo(makePod(`p${i}`, { cpu: "100m" })), snapshot);
      expect(result.kind === "scheduled" && result.nodeName).toBe("idle");
    }
  });

  test("samples nodes in large clusters, as upstream", () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(100)).toBe(100);
    expect(numFeasibleNodesToFind(1000)).toBe(420);
    expect(numFeasibleNodesToFind(5000)).toBe(500);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
  });

  test("leaves room for a pod nominated to a node", () => {
    const snapshot = makeSnapshot([makeNode("n", { cpu: "1" })]);
    const nominated = newPodInfo(makePod("vip", { cpu: "800m", priority: 100 }));
    const cycle = new SchedulingCycle(DEFAULT_PLUGINS, { nominatedPods: () => [nominated] });
    expect(cycle.run(newPodInfo(makePod("low", { cpu: "500m", priority: 0 })), snapshot).kind).toBe("unschedulable");
    expect(cycle.run(newPodInfo(makePod("high", { cpu: "100m", priority: 1000 })), snapshot).kind).toBe("scheduled");
  });
});
