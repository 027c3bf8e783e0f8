import { expect, test } from "bun:test";
import type { AgentConfig } from "../config.ts";
import { allocatable, parseReserved, resourceList } from "./machine.ts";
import { nodeLabels, parseLabel, parseTaint } from "./node.ts";

test("--node-taint and --node-label parsing", () => {
  expect(parseTaint("dedicated=edge:NoSchedule")).toEqual({ key: "dedicated", value: "edge", effect: "NoSchedule" });
  expect(parseTaint("gpu:NoExecute")).toEqual({ key: "gpu", effect: "NoExecute" });
  expect(() => parseTaint("bad")).toThrow("--node-taint");
  expect(parseLabel("a.b/c=d=e")).toEqual(["a.b/c", "d=e"]);
  expect(() => parseLabel("nolabel")).toThrow("--node-label");
});

test("standard labels, control-plane role and user labels", () => {
  const labels = nodeLabels({ nodeName: "n1", nodeLabels: ["tier=edge"], controlPlane: true } as AgentConfig);
  expect(labels["kubernetes.io/hostname"]).toBe("n1");
  expect(labels["kubernetes.io/os"]).toBe("linux");
  expect(labels["node-role.kubernetes.io/control-plane"]).toBe("true");
  expect(labels.tier).toBe("edge");
  expect(
    nodeLabels({ nodeName: "n2", nodeLabels: [], controlPlane: false } as unknown as AgentConfig)[
      "node-role.kubernetes.io/control-plane"
    ],
  ).toBeUndefined();
});

test("allocatable is capacity minus kube-reserved and system-reserved", () => {
  const cap = { cpu: 4, memory: 4 * 2 ** 30, ephemeralStorage: 100 * 2 ** 30, pods: 110 };
  const alloc = allocatable(cap, parseReserved("cpu=500m,memory=512Mi"), parseReserved("cpu=250m"));
  expect(resourceList(alloc)).toEqual({
    cpu: "3250m",
    memory: "3670016Ki",
    "ephemeral-storage": "104857600Ki",
    pods: "110",
  });
  expect(() => parseReserved("gpu=1")).toThrow("unknown resource gpu");
});
