// kubectl logs and exec through a real `k3lite server` process to a node agent on real containerd: the API
// server authenticates and authorizes them, finds the pod's node and relays to the agent's kubelet port.

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
import { freePort, type K3lite, KUBECTL, startK3lite, waitFor } from "./harness.ts";

let k3: K3lite;
let agent: Agent;
let config: AgentConfig;

beforeAll(async () => {
  ensureTestImages();
  k3 = await startK3lite();
  const net = randomNetwork();
  config = {
    dataDir: mkdtempSync(join(tmpdir(), "k3lite-streams-")),
    nodeName: "streams-node",
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

test("kubectl logs and exec reach the pod through the API server", async () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "talker", namespace: "default" },
    spec: {
      nodeName: "streams-node",
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "main",
          image: "busybox:1.35",
          command: [
            "sh",
            "-c",
            "echo hello-from-pod; mkdir -p /www; echo page > /www/index.html; exec httpd -f -p 8080 -h /www",
          ],
        },
      ],
    },
  };
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);
  await waitFor(
    async () => (await k3.kubectl(["get", "pod", "talker", "-o", "jsonpath={.status.phase}"])).stdout === "Running",
    60_000,
    "pod Running",
  );
  let last = "";
  const logs = await waitFor(
    async () => {
      const r = await k3.kubectl(["logs", "talker"]);
      last = r.stderr;
      return r.stdout.includes("hello-from-pod") && r;
    },
    20_000,
    "kubectl logs",
  ).catch((err) => {
    throw new Error(`${err.message}; last kubectl stderr: ${last}`);
  });
  expect(logs.stdout).toContain("hello-from-pod");
  const exec = await k3.kubectl(["exec", "talker", "--", "sh", "-c", "echo $((6*7))"]);
  expect(exec.stderr).toBe("");
  expect(exec.stdout.trim()).toBe("42");
  // ServiceAccount admission mounted a bound token, the cluster CA and the namespace for in-cluster clients.
  const sa = await k3.kubectl([
    "exec",
    "talker",
    "--",
    "sh",
    "-c",
    "cd /var/run/secrets/kubernetes.io/serviceaccount && cat namespace && head -c 2 token && grep -c BEGIN ca.crt",
  ]);
  // "default" (no newline), the token's first two characters (a JWT), the number of CA certificates.
  expect(sa.stdout.trim()).toMatch(/^defaultey[1-9]\d*$/);
  const denied = await k3.kubectl(["exec", "talker", "--as=nobody", "--", "true"]);
  expect(denied.stderr).toContain("forbidden");

  // port-forward: SPDY tunnelled in a WebSocket, relayed by the API server to the agent.
  const localPort = await freePort();
  const pf = Bun.spawn([KUBECTL, "port-forward", "pod/talker", `${localPort}:8080`], {
    env: { ...process.env, KUBECONFIG: k3.kubeconfig },
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const page = await waitFor(
      // A connection accepted before the tunnel is up may never answer: each try gets its own deadline.
      () =>
        fetch(`http://127.0.0.1:${localPort}/index.html`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.text(),
          () => undefined,
        ),
      20_000,
      "port-forwarded page",
    );
    expect(page).toBe("page\n");
  } finally {
    pf.kill();
    await pf.exited;
  }
  await k3.kubectl(["delete", "pod", "talker", "--timeout=30s"]);
}, 120_000);
