// The node agent against a real `k3lite server` process (test/harness.ts) over HTTPS with the admin
// kubeconfig, checked with the real kubectl: the node registers Ready, a pod bound to it runs and reports its
// IP, and deleting it completes (the agent confirms the graceful deletion).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
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

let k3: K3lite;
let agent: Agent;
let config: AgentConfig;

beforeAll(async () => {
  ensureTestImages();
  k3 = await startK3lite();
  const net = randomNetwork();
  config = {
    dataDir: mkdtempSync(join(tmpdir(), "k3lite-agent-srv-")),
    nodeName: "agent-e2e",
    nodeLabels: [],
    nodeTaints: [],
    clusterCidr: net.clusterCidr,
    clusterDns: "10.43.0.10",
    clusterDomain: "cluster.local",
    runtime: "containerd",
    containerLogMaxSize: "10Mi",
    controlPlane: false,
    kubeletPort: 0,
    podNetworkBridge: net.bridge,
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

const kubectlJson = async (args: string[]) => {
  const r = await k3.kubectl([...args, "-o", "json"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};

test("kubectl sees the node Ready with the runtime version", async () => {
  const node = await waitFor(
    async () => {
      const n = await kubectlJson(["get", "node", "agent-e2e"]);
      return n.status?.conditions?.find((c: { type: string }) => c.type === "Ready")?.status === "True" && n;
    },
    30_000,
    "node Ready",
  );
  expect(node.status.nodeInfo.containerRuntimeVersion).toStartWith("containerd://");
  expect(node.metadata.labels["kubernetes.io/os"]).toBe("linux");
}, 60_000);

test("a pod bound to the node runs, gets an IP, and is deleted gracefully", async () => {
  const manifest = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "e2e-web", namespace: "default" },
    spec: {
      nodeName: "agent-e2e",
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: "web", image: "busybox:1.35", command: ["sh", "-c", "echo ok > /tmp/i; exec httpd -f -p 80 -h /tmp"] },
      ],
    },
  };
  const created = await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });
  expect(created.stderr).toBe("");
  const pod = await waitFor(
    async () => {
      const p = await kubectlJson(["get", "pod", "e2e-web"]);
      return p.status?.phase === "Running" && p.status?.podIP && p;
    },
    30_000,
    "pod Running",
  );
  expect(await (await fetch(`http://${pod.status.podIP}/i`)).text()).toBe("ok\n");
  const del = await k3.kubectl(["delete", "pod", "e2e-web", "--timeout=30s"]);
  expect(del.code).toBe(0);
  const gone = await k3.kubectl(["get", "pod", "e2e-web"]);
  expect(gone.stderr).toContain("NotFound");
}, 90_000);
