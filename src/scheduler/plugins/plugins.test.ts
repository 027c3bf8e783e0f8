import { describe, expect, test } from "bun:test";
import type { Pod } from "../../api/types.ts";
import { type Plugin, runFilters, runPreFilter, runScores } from "../framework.ts";
import type { Snapshot } from "../nodeinfo.ts";
import { makeNode, makePod, makeSnapshot, stateFor } from "../testing.ts";
import { InterPodAffinity } from "./interpodaffinity.ts";
import { NodeAffinity } from "./nodeaffinity.ts";
import { NodeName } from "./nodename.ts";
import { NodePorts } from "./nodeports.ts";
import { NodeResourcesFit } from "./noderesourcesfit.ts";
import { NodeUnschedulable } from "./nodeunschedulable.ts";
import { PodTopologySpread } from "./podtopologyspread.ts";
import { TaintToleration } from "./tainttoleration.ts";

/** Each node's verdict: "ok" or the failure reasons. */
function filter(plugin: Plugin, pod: Pod, snapshot: Snapshot): Record<string, string> {
  const state = stateFor(pod, snapshot);
  const pre = runPreFilter([plugin], state, pod);
  const out: Record<string, string> = {};
  for (const n of snapshot.nodes) {
    const s = pre ?? runFilters([plugin], state, pod, n);
    out[n.name] = s ? `${s.code}: ${s.reasons.join(", ")}` : "ok";
  }
  return out;
}

function scores(plugin: Plugin, pod: Pod, snapshot: Snapshot): Record<string, number> {
  const state = stateFor(pod, snapshot);
  const result = runScores([plugin], state, pod, snapshot.nodes);
  return Object.fromEntries(result.map((s) => [s.name, s.score / (plugin.weight ?? 1)]));
}

describe("NodeResourcesFit", () => {
  const snapshot = makeSnapshot(
    [makeNode("small", { cpu: "1", memory: "1Gi", pods: 2 }), makeNode("big", { cpu: "8", memory: "16Gi" })],
    [makePod("existing", { nodeName: "small", cpu: "500m", memory: "512Mi" })],
  );

  test("requests must fit in allocatable minus what is requested", () => {
    expect(filter(NodeResourcesFit, makePod("p", { cpu: "600m", memory: "600Mi" }), snapshot)).toEqual({
      small: "Unschedulable: Insufficient cpu, Insufficient memory",
      big: "ok",
    });
    expect(filter(NodeResourcesFit, makePod("p", { cpu: "500m" }), snapshot).small).toBe("ok");
  });

  test("pod count, and init containers count by their largest", () => {
    const full = makeSnapshot([makeNode("n", { pods: 1 })], [makePod("x", { nodeName: "n" })]);
    expect(filter(NodeResourcesFit, makePod("p"), full).n).toBe("Unschedulable: Too many pods");
    const init = makePod("p", {
      cpu: "100m",
      spec: { initContainers: [{ name: "i", resources: { requests: { cpu: "900m" } } }] },
    });
    expect(filter(NodeResourcesFit, init, snapshot).small).toBe("Unschedulable: Insufficient cpu");
  });

  test("LeastAllocated prefers the emptier node", () => {
    const s = scores(NodeResourcesFit, makePod("p", { cpu: "100m", memory: "100Mi" }), snapshot);
    expect(s.big).toBeGreaterThan(s.small as number);
  });
});

describe("TaintToleration", () => {
  const snapshot = makeSnapshot([
    makeNode("tainted", { taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }),
    makeNode("notready", { taints: [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }] }),
    makeNode("prefer", { taints: [{ key: "soft", effect: "PreferNoSchedule" }] }),
    makeNode("clean"),
  ]);

  test("untolerated NoSchedule taints reject, in upstream's words", () => {
    expect(filter(TaintToleration, makePod("p"), snapshot)).toEqual({
      tainted: "UnschedulableAndUnresolvable: node(s) had untolerated taint {k: v}",
      notready: "UnschedulableAndUnresolvable: node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
      prefer: "ok",
      clean: "ok",
    });
    const tolerant = makePod("p", {
      spec: {
        tolerations: [
          { key: "k", operator: "Equal", value: "v" },
          { operator: "Exists", key: "node.kubernetes.io/not-ready" },
        ],
      },
    });
    expect(Object.values(filter(TaintToleration, tolerant, snapshot))).toEqual(["ok", "ok", "ok", "ok"]);
    const wrongValue = makePod("p", { spec: { tolerations: [{ key: "k", value: "other" }] } });
    expect(filter(TaintToleration, wrongValue, snapshot).tainted).toStartWith("UnschedulableAndUnresolvable");
  });

  test("PreferNoSchedule lowers the score", () => {
    const s = scores(TaintToleration, makePod("p"), snapshot);
    expect(s.prefer).toBe(0);
    expect(s.clean).toBe(100);
  });
});

describe("NodeUnschedulable and NodeName", () => {
  test("cordoned nodes reject pods without the toleration", () => {
    const snapshot = makeSnapshot([makeNode("cordoned", { unschedulable: true }), makeNode("n2")]);
    expect(filter(NodeUnschedulable, makePod("p"), snapshot).cordoned).toBe(
      "UnschedulableAndUnresolvable: node(s) were unschedulable",
    );
    const tolerant = makePod("p", {
      spec: { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists" }] },
    });
    expect(filter(NodeUnschedulable, tolerant, snapshot).cordoned).toBe("ok");
  });

  test("a named node is the only fit", () => {
    const snapshot = makeSnapshot([makeNode("a"), makeNode("b")]);
    expect(filter(NodeName, makePod("p", { nodeName: "b" }), snapshot)).toEqual({
      a: "UnschedulableAndUnresolvable: node(s) didn't match the requested node name",
      b: "ok",
    });
  });
});

describe("NodeAffinity", () => {
  const snapshot = makeSnapshot([
    makeNode("ssd", { labels: { disk: "ssd", gen: "5" } }),
    makeNode("hdd", { labels: { disk: "hdd", gen: "3" } }),
  ]);

  test("nodeSelector and required terms (ORed terms, ANDed expressions, Gt)", () => {
    expect(filter(NodeAffinity, makePod("p", { spec: { nodeSelector: { disk: "ssd" } } }), snapshot)).toEqual({
      ssd: "ok",
      hdd: "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector",
    });
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: "gen", operator: "Gt", values: ["4"] },
                { key: "disk", operator: "In", values: ["hdd"] },
              ],
            },
            { matchFields: [{ key: "metadata.name", operator: "In", values: ["hdd"] }] },
          ],
        },
      },
    };
    expect(filter(NodeAffinity, makePod("p", { spec: { affinity } }), snapshot)).toEqual({
      ssd: "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector",
      hdd: "ok",
    });
  });

  test("preferred terms add their weight", () => {
    const affinity = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } },
        ],
      },
    };
    expect(scores(NodeAffinity, makePod("p", { spec: { affinity } }), snapshot)).toEqual({ ssd: 100, hdd: 0 });
  });
});

describe("NodePorts", () => {
  test("a hostPort in use rejects the node", () => {
    const snapshot = makeSnapshot([makeNode("a"), makeNode("b")], [makePod("x", { nodeName: "a", hostPort: 8080 })]);
    expect(filter(NodePorts, makePod("p", { hostPort: 8080 }), snapshot)).toEqual({
      a: "Unschedulable: node(s) didn't have free ports for the requested pod ports",
      b: "ok",
    });
    expect(filter(NodePorts, makePod("p", { hostPort: 9090 }), snapshot).a).toBe("ok");
  });
});

describe("InterPodAffinity", () => {
  const zones = [
    makeNode("a1", { labels: { zone: "a" } }),
    makeNode("a2", { labels: { zone: "a" } }),
    makeNode("b1", { labels: { zone: "b" } }),
  ];
  const term = (app: string, topologyKey: string) => ({ labelSelector: { matchLabels: { app } }, topologyKey });

  test("required anti-affinity keeps replicas apart per topology domain", () => {
    const snapshot = makeSnapshot(zones, [makePod("web-0", { nodeName: "a1", labels: { app: "web" } })]);
    const pod = makePod("web-1", {
      labels: { app: "web" },
      spec: {
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "zone")] } },
      },
    });
    expect(filter(InterPodAffinity, pod, snapshot)).toEqual({
      a1: "Unschedulable: node(s) didn't match pod anti-affinity rules",
      a2: "Unschedulable: node(s) didn't match pod anti-affinity rules",
      b1: "ok",
    });
  });

  test("existing pods' anti-affinity rejects pods they select", () => {
    const guard = makePod("guard", {
      nodeName: "b1",
      spec: {
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "kubernetes.io/hostname")] },
        },
      },
    });
    const snapshot = makeSnapshot(zones, [guard]);
    expect(filter(InterPodAffinity, makePod("db", { labels: { app: "db" } }), snapshot).b1).toBe(
      "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules",
    );
  });

  test("required affinity follows matching pods; the first of a self-selecting group goes anywhere", () => {
    const affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("cache", "zone")] } };
    const withCache = makeSnapshot(zones, [makePod("cache", { nodeName: "b1", labels: { app: "cache" } })]);
    expect(filter(InterPodAffinity, makePod("web", { spec: { affinity } }), withCache)).toEqual({
      a1: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules",
      a2: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules",
      b1: "ok",
    });
    const first = makePod("cache-0", { labels: { app: "cache" }, spec: { affinity } });
    expect(Object.values(filter(InterPodAffinity, first, makeSnapshot(zones)))).toEqual(["ok", "ok", "ok"]);
  });

  test("preferred anti-affinity scores other domains higher", () => {
    const snapshot = makeSnapshot(zones, [makePod("web-0", { nodeName: "a1", labels: { app: "web" } })]);
    const pod = makePod("web-1", {
      spec: {
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term("web", "zone") }],
          },
        },
      },
    });
    expect(scores(InterPodAffinity, pod, snapshot)).toEqual({ a1: 0, a2: 0, b1: 100 });
  });
});

describe("PodTopologySpread", () => {
  const nodes = [
    makeNode("a1", { labels: { zone: "a" } }),
    makeNode("b1", { labels: { zone: "b" } }),
    makeNode("nolabel"),
  ];
  const spread = (when: "DoNotSchedule" | "ScheduleAnyway") => ({
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: when, labelSelector: { matchLabels: { app: "web" } } },
    ],
  });

  test("DoNotSchedule rejects domains that would exceed maxSkew, and nodes without the key", () => {
    const snapshot = makeSnapshot(nodes, [makePod("w0", { nodeName: "a1", labels: { app: "web" } })]);
    const pod = makePod("w1", { labels: { app: "web" }, spec: spread("DoNotSchedule") });
    expect(filter(PodTopologySpread, pod, snapshot)).toEqual({
      a1: "Unschedulable: node(s) didn't match pod topology spread constraints",
      b1: "ok",
      nolabel:
        "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)",
    });
  });

  test("ScheduleAnyway scores the emptier domain higher", () => {
    const snapshot = makeSnapshot(nodes, [makePod("w0", { nodeName: "a1", labels: { app: "web" } })]);
    const s = scores(
      PodTopologySpread,
      makePod("w1", { labels: { app: "web" }, spec: spread("ScheduleAnyway") }),
      snapshot,
    );
    expect(s.b1).toBeGreaterThan(s.a1 as number);
    expect(s.nolabel).toBe(0);
  });
});
