// kubectl top nodes / pods through a real `k3lite server` process: the API server serves metrics.k8s.io itself,
// reading the node agent's /stats/summary (node from /proc, containers from CRI stats on real containerd).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentConfig } from "../src/agent/config.ts";
import { createCriClient } from "../src/agent/cri/client.ts";
import { importImage } from "../src/agent/cri/images.ts";
import { type Agent, startAgent } from "../src/agent/index.ts";
import { agentPaths } from "../src/agent/paths.ts";
import { clientFromKubeconfig } from "../src/client/kubeconfig.ts";
import {
  ensureTestImages,
  killShimsUnder,
  randomNetwork,
  removeAllSandboxes,
  removeTestNetwork,
  unmountUnder,
} from "./agent-fixture.ts";
import { type K3lite, startK3lite, waitFor } from "./harness.ts";

const NODE = "top-node";
let k3: K3lite;
let agent: Agent;
let config: AgentConfig;

beforeAll(async () => {
  ensureTestImages();
  k3 = await startK3lite();
  const net = randomNetwork();
  config = {
    dataDir: mkdtempSync(join(tmpdir(), "k3lite-top-")),
    nodeName: NODE,
    nodeLabels: ["tier=edge"],
    nodeTaints: [],
    clusterCidr: net.clusterCidr,
    clusterDns: "10.43.0.10",
    clusterDomain: "cluster.local",
    runtime: "containerd",
    containerLogMaxSize: "10Mi",
    controlPlane: false,
    kubeletPort: 0,
    podNetworkBridge: net.bridge,
    // The agent's port trusts the cluster's client CA, which signs the API server's kubelet-client certificate.
    clientCaPem: readFileSync(join(k3.dataDir, "server/tls/client-ca.crt"), "utf8"),
  };
  agent = await startAgent(config, clientFromKubeconfig(k3.kubeconfig));
  await importImage(agentPaths(config.dataDir).containerdSocket, join(import.meta.dir, "../dist/images/busybox.tar"));
}, 120_000);

afterAll(async () => {
  if (agent) {
    const cri = createCriClient(agent.runtimeEndpoint);
    await removeAllSandboxes(cri).catch(() => {});
    cri.close();
    await agent.stop();
  }
  if (config) {
    await removeTestNetwork(config.podNetworkBridge as string, config.clusterCidr);
    killShimsUnder(config.dataDir);
    unmountUnder(config.dataDir);
    rmSync(config.dataDir, { recursive: true, force: true });
  }
  await k3?.stop();
}, 60_000);

/** Runs kubectl until it succeeds with output matching `pattern` (metrics appear once the pod's containers run). */
async function kubectlUntil(args: string[], pattern: RegExp): Promise<string> {
  let last = "";
  return waitFor(
    async () => {
      const r = await k3.kubectl(args);
      last = `${r.stdout}${r.stderr}`;
      return r.code === 0 && pattern.test(r.stdout) && r.stdout;
    },
    60_000,
    `kubectl ${args.join(" ")}`,
  ).catch((err) => {
    throw new Error(`${err.message}; last output: ${last}`);
  });
}

test("kubectl top nodes and top pods print the agent's usage", async () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "busy", namespace: "default", labels: { app: "busy" } },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 1,
      containers: [
        // A little steady work and some memory, so the figures are not all zero.
        {
          name: "worker",
          image: "busybox:1.35",
          command: ["sh", "-c", "head -c 4000000 /dev/zero > /dev/shm/x; while true; do sleep 0.2; done"],
        },
        { name: "idle", image: "busybox:1.35", command: ["sleep", "3600"] },
      ],
    },
  };
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);
  await waitFor(
    async () => (await k3.kubectl(["get", "pod", "busy", "-o", "jsonpath={.status.phase}"])).stdout === "Running",
    60_000,
    "pod Running",
  );

  // NAME  CPU(cores)  CPU(%)  MEMORY(bytes)  MEMORY(%)
  const nodes = await kubectlUntil(["top", "nodes"], new RegExp(`^${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`, "m"));
  expect(nodes).toMatch(/^NAME\s+CPU\(cores\)\s+CPU%?\(?%?\)?\s+MEMORY\(bytes\)/);
  await kubectlUntil(["top", "node", NODE], new RegExp(`^${NODE}\\s+\\d+m`, "m"));
  await kubectlUntil(["top", "nodes", "-l", "tier=edge"], new RegExp(`^${NODE}\\s`, "m"));

  // NAME  CPU(cores)  MEMORY(bytes)
  await kubectlUntil(["top", "pods"], /^busy\s+\d+m\s+\d+Mi\s*$/m);
  await kubectlUntil(["top", "pods", "-A", "-l", "app=busy"], /^default\s+busy\s+\d+m\s+\d+Mi\s*$/m);
  // POD  NAME  CPU(cores)  MEMORY(bytes), one line per container.
  const containers = await kubectlUntil(["top", "pod", "busy", "--containers"], /^busy\s+worker\s+\d+m\s+\d+Mi\s*$/m);
  expect(containers).toMatch(/^busy\s+idle\s+\d+m\s+\d+Mi\s*$/m);

  // RBAC: `view` aggregates metrics-server's system:aggregated-metrics-reader; others are refused.
  expect((await k3.kubectl(["create", "rolebinding", "top-view", "--clusterrole=view", "--user=viewer"])).code).toBe(0);
  await kubectlUntil(["top", "pods", "--as=viewer"], /^busy\s+\d+m/m);
  expect((await k3.kubectl(["top", "pods", "--as=nobody"])).stderr).toContain("forbidden");

  const missing = await k3.kubectl(["top", "pod", "nope"]);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain('podmetrics.metrics.k8s.io "default/nope" not found');
  const none = await k3.kubectl(["top", "pods", "-l", "app=other"]);
  expect(`${none.stdout}${none.stderr}`).toContain("No resources found in default namespace");

  await k3.kubectl(["delete", "pod", "busy", "--timeout=30s"]);
}, 180_000);
