// The node agent against a real `k3lite server` process (test/harness.ts) over HTTPS with the admin
// kubeconfig, checked with the real kubectl: the node registers Ready, a pod bound to it runs and reports its
// IP, and deleting it completes (the agent confirms the graceful deletion).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentConfig } from "../src/agent/config.ts";
import { createCriClient } from "../src/agent/cri/client.ts";
import { importImage } from "../src/agent/cri/images.ts";
import { type Agent, startAgent } from "../src/agent/index.ts";
import { agentPaths } from "../src/agent/paths.ts";
import { issueClientCert } from "../src/auth/pki.ts";
import { createClient } from "../src/client/client.ts";
import { httpsTransport } from "../src/client/https.ts";
import {
  ensureTestImages,
  killShimsUnder,
  randomNetwork,
  removeAllSandboxes,
  removeTestNetwork,
  unmountUnder,
} from "./agent-fixture.ts";
import { type K3lite, KUBECTL, startK3lite, waitFor } from "./harness.ts";

let k3: K3lite;
let agent: Agent;
let config: AgentConfig;

beforeAll(async () => {
  ensureTestImages();
  const net = randomNetwork();
  // The server's node IPAM hands out pod CIDRs from its --cluster-cidr: give it this test's own range.
  k3 = await startK3lite({ args: ["--cluster-cidr", net.clusterCidr] });
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
    // As a joined agent: trust the cluster's client CA for the API server's relayed streams.
    clientCaPem: readFileSync(join(k3.dataDir, "server/tls/client-ca.crt"), "utf8"),
  };
  // Authenticated as the node itself (system:node:<name> in system:nodes), as a joined agent is: the Node
  // authorizer must allow everything the agent does.
  const tls = join(k3.dataDir, "server/tls");
  const nodeCert = await issueClientCert(
    {
      clientCaCertPem: readFileSync(join(tls, "client-ca.crt"), "utf8"),
      clientCaKeyPem: readFileSync(join(tls, "client-ca.key"), "utf8"),
    },
    { commonName: "system:node:agent-e2e", organizations: ["system:nodes"] },
  );
  const client = createClient(
    httpsTransport({ server: k3.url, caPem: readFileSync(join(tls, "server-ca.crt"), "utf8"), ...nodeCert }),
    { userAgent: "k3lite-agent" },
  );
  agent = await startAgent(config, client);
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

test("kubectl logs, exec (with stdin), cp and port-forward through the API server to the agent", async () => {
  const manifest = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "e2e-streams", namespace: "default" },
    spec: {
      nodeName: "agent-e2e",
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: "web",
          image: "busybox:1.35",
          command: ["sh", "-c", "echo started; echo page > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"],
        },
      ],
    },
  };
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) })).code).toBe(0);
  await waitFor(
    async () => (await kubectlJson(["get", "pod", "e2e-streams"])).status?.phase === "Running",
    60_000,
    "Running",
  );

  const logs = await waitFor(
    async () => {
      const r = await k3.kubectl(["logs", "e2e-streams"]);
      return r.stdout.includes("started") ? r.stdout : undefined;
    },
    20_000,
    "logs",
  );
  expect(logs).toBe("started\n");
  const host = await k3.kubectl(["exec", "e2e-streams", "--", "cat", "/etc/hostname"]);
  expect(host.stdout).toBe("e2e-streams\n");
  const echo = await k3.kubectl(["exec", "-i", "e2e-streams", "--", "sh", "-c", "cat"], { stdin: "round-trip\n" });
  expect(echo.stdout).toBe("round-trip\n");

  const pf = Bun.spawn([KUBECTL, "port-forward", "pod/e2e-streams", ":8080"], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, KUBECONFIG: k3.kubeconfig },
  });
  try {
    const reader = (pf.stdout as ReadableStream<Uint8Array>).getReader();
    let out = "";
    const port = await waitFor(
      async () => {
        const { value, done } = await reader.read();
        if (done) throw new Error(`port-forward exited: ${await new Response(pf.stderr).text()}`);
        out += new TextDecoder().decode(value);
        return /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      },
      20_000,
      "port-forward",
    );
    // httpd may not listen yet when the pod turns Running: poll through the forward until it answers.
    const page = await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/index.html`);
        return r.ok ? await r.text() : undefined;
      },
      30_000,
      "page through port-forward",
    );
    expect(page).toBe("page\n");
  } finally {
    pf.kill();
    await pf.exited;
  }
}, 180_000);

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
    60_000,
    "pod Running",
  );
  // Running means the container started, not that httpd listens yet: poll until it answers.
  const body = await waitFor(
    async () => {
      const r = await fetch(`http://${pod.status.podIP}/i`);
      return r.ok ? await r.text() : undefined;
    },
    30_000,
    "httpd answering",
  );
  expect(body).toBe("ok\n");
  const del = await k3.kubectl(["delete", "pod", "e2e-web", "--timeout=30s"]);
  expect(del.code).toBe(0);
  const gone = await k3.kubectl(["get", "pod", "e2e-web"]);
  expect(gone.stderr).toContain("NotFound");
}, 180_000);
