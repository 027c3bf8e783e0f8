// kubectl top nodes / pods through a real `k3lite server` process: the API server serves metrics.k8s.io itself,
// reading the node agent's /stats/summary (node from /proc, containers from CRI stats on real containerd).

import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  type AgentFixture,
  busyboxContainer,
  kubectlUntil,
  kubectlWaitRunning,
  podOnNode,
  startJoinedAgent,
} from "./agent-fixture.ts";
import { type K3lite, startK3lite } from "./harness.ts";

const NODE = "top-node";
let k3: K3lite;
let node: AgentFixture;

beforeAll(async () => {
  k3 = await startK3lite();
  node = await startJoinedAgent(k3, NODE, { labels: ["tier=edge"] });
}, 120_000);

afterAll(async () => {
  await node?.cleanup();
  await k3?.stop();
}, 60_000);

/** kubectl until it succeeds with matching output (metrics appear once the pod's containers run). */
const until = (args: string[], pattern: RegExp) => kubectlUntil(k3, args, pattern);

test("kubectl top nodes and top pods print the agent's usage", async () => {
  const pod = podOnNode(
    NODE,
    "busy",
    [
      // A little steady work and some memory, so the figures are not all zero.
      busyboxContainer("worker", [
        "sh",
        "-c",
        "head -c 4000000 /dev/zero > /dev/shm/x; while true; do sleep 0.2; done",
      ]),
      busyboxContainer("idle", ["sleep", "3600"]),
    ],
    { terminationGracePeriodSeconds: 1, labels: { app: "busy" } },
  );
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);
  await kubectlWaitRunning(k3, "busy");

  // NAME  CPU(cores)  CPU(%)  MEMORY(bytes)  MEMORY(%)
  const nodes = await until(["top", "nodes"], new RegExp(`^${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`, "m"));
  expect(nodes).toMatch(/^NAME\s+CPU\(cores\)\s+CPU%?\(?%?\)?\s+MEMORY\(bytes\)/);
  await until(["top", "node", NODE], new RegExp(`^${NODE}\\s+\\d+m`, "m"));
  await until(["top", "nodes", "-l", "tier=edge"], new RegExp(`^${NODE}\\s`, "m"));

  // NAME  CPU(cores)  MEMORY(bytes)
  await until(["top", "pods"], /^busy\s+\d+m\s+\d+Mi\s*$/m);
  await until(["top", "pods", "-A", "-l", "app=busy"], /^default\s+busy\s+\d+m\s+\d+Mi\s*$/m);
  // POD  NAME  CPU(cores)  MEMORY(bytes), one line per container.
  const containers = await until(["top", "pod", "busy", "--containers"], /^busy\s+worker\s+\d+m\s+\d+Mi\s*$/m);
  expect(containers).toMatch(/^busy\s+idle\s+\d+m\s+\d+Mi\s*$/m);

  // RBAC: `view` aggregates metrics-server's system:aggregated-metrics-reader; others are refused.
  expect((await k3.kubectl(["create", "rolebinding", "top-view", "--clusterrole=view", "--user=viewer"])).code).toBe(0);
  await until(["top", "pods", "--as=viewer"], /^busy\s+\d+m/m);
  expect((await k3.kubectl(["top", "pods", "--as=nobody"])).stderr).toContain("forbidden");

  const missing = await k3.kubectl(["top", "pod", "nope"]);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain('podmetrics.metrics.k8s.io "default/nope" not found');
  const none = await k3.kubectl(["top", "pods", "-l", "app=other"]);
  expect(`${none.stdout}${none.stderr}`).toContain("No resources found in default namespace");

  await k3.kubectl(["delete", "pod", "busy", "--timeout=30s"]);
}, 180_000);
