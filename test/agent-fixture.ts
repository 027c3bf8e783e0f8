// Shared set-up for agent tests on real containerd: a temp data dir, our own supervised containerd, the test
// images imported, and a pod network on a bridge and subnet of its own (tests run in parallel on one host).
// `cleanup()` removes every sandbox, stops containerd and deletes the bridge and the data dir. Also: a whole node
// agent (against the in-memory API or joined to a server process), pods bound to it, and waiting on them.

import { afterAll, beforeAll } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentConfig } from "../src/agent/config.ts";
import { type CriClient, createCriClient } from "../src/agent/cri/client.ts";
import { type Containerd, startContainerd } from "../src/agent/cri/containerd.ts";
import { importImage, importStartupImages } from "../src/agent/cri/images.ts";
import { type Agent, startAgent } from "../src/agent/index.ts";
import { type AgentPaths, agentPaths } from "../src/agent/paths.ts";
import type { Container, Pod } from "../src/api/types.ts";
import { ensureServerPki, issueClientCert } from "../src/auth/pki.ts";
import { INGRESS_USER } from "../src/auth/rbac/bootstrap-policy.ts";
import { createClient } from "../src/client/client.ts";
import { createFakeCluster, type FakeCluster } from "../src/client/fake.ts";
import { httpsTransport } from "../src/client/https.ts";
import { clientFromKubeconfig } from "../src/client/kubeconfig.ts";
import { inNamespace, pods } from "../src/client/refs.ts";
import type { KubeClient } from "../src/client/types.ts";
import { setupPodNetwork } from "../src/network/cni.ts";
import {
  claimNetwork,
  randomNetwork,
  removeAllSandboxes,
  removeDataDir,
  removeTestNetwork,
  sweepStaleTestNetworks,
  type TestNetwork,
} from "./agent-host.ts";
import { type K3lite, KUBECTL, lateK3lite, startK3lite, waitFor } from "./harness.ts";

export { randomNetwork, removeAllSandboxes } from "./agent-host.ts";

const root = join(import.meta.dir, "..");
export const BUSYBOX = "docker.io/library/busybox:1.35";

/** Builds dist/images/{pause,busybox}.tar when a checkout has not yet. */
export function ensureTestImages(): void {
  if (existsSync(join(root, "dist/images/busybox.tar")) && existsSync(join(root, "dist/images/pause.tar"))) return;
  const res = Bun.spawnSync(["bash", join(root, "scripts/build-test-images.sh")], {
    stdout: "inherit",
    stderr: "inherit",
  });
  if (!res.success) throw new Error("scripts/build-test-images.sh failed");
}

export interface ContainerdFixture {
  dataDir: string;
  paths: AgentPaths;
  /** Replaceable: a test may stop it and start another on the same paths. */
  containerd: Containerd;
  cri: CriClient;
  bridge: string;
  clusterCidr: string;
  cleanup(): Promise<void>;
}

export async function startContainerdFixture(opts: { dataDir?: string } = {}): Promise<ContainerdFixture> {
  ensureTestImages();
  await sweepStaleTestNetworks();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "k3lite-agent-"));
  const paths = agentPaths(dataDir);
  const net = randomNetwork();
  claimNetwork(net, dataDir);
  const { bridge, clusterCidr } = net;
  await setupPodNetwork({
    confDir: paths.cniConfDir,
    ipamDataDir: join(dataDir, "agent/cni"),
    clusterCidr,
    bridge,
  });
  const containerd = await startContainerd(paths);
  await importStartupImages(paths.containerdSocket, paths.imagesDir);
  await importImage(paths.containerdSocket, join(root, "dist/images/busybox.tar"));
  const cri = createCriClient(containerd.endpoint);
  const fx: ContainerdFixture = {
    dataDir,
    paths,
    containerd,
    cri,
    bridge,
    clusterCidr,
    async cleanup() {
      await removeAllSandboxes(cri).catch(() => {});
      cri.close();
      await fx.containerd.stop();
      removeDataDir(dataDir);
      await removeTestNetwork(net);
    },
  };
  return fx;
}

// ---- A node agent (its own containerd, bridge and subnet) for tests against the in-memory API or a server ----

export interface AgentFixture {
  config: AgentConfig;
  /** Replaceable: a test may stop the agent and start another with the same config (adoption). */
  agent: Agent;
  /** Removes every sandbox, stops the agent and its containerd, and deletes the bridge, mounts and data dir. */
  cleanup(): Promise<void>;
}

export interface AgentOptions {
  nodeName: string;
  /** A data dir the test already made (for files it needs before the agent starts); default a fresh temp dir. */
  dataDir?: string;
  /** The pod network, when the server must know its CIDR before the agent starts; default randomNetwork(). */
  network?: TestNetwork;
  nodeLabels?: string[];
  controlPlane?: boolean;
  clientCaPem?: string;
  privateRegistry?: string;
  /** Import dist/images/busybox.tar once the agent runs (default true; a pull test wants it absent). */
  importBusybox?: boolean;
  /** Run the service proxy and cluster DNS, as the commands do (default off: they change the host's netns). */
  clusterNetwork?: boolean;
  /** Serve Ingresses on this port (the commands use 80). */
  ingressPort?: number;
  /** And HTTPS on this one, reading certificate Secrets with `ingressSecretsClient`. */
  ingressHttpsPort?: number;
  ingressSecretsClient?: KubeClient;
}

/** Starts a node agent on real containerd against `client`; on failure, removes what it set up and rethrows. */
export async function startAgentFixture(client: KubeClient, opts: AgentOptions): Promise<AgentFixture> {
  ensureTestImages();
  await sweepStaleTestNetworks();
  const net = opts.network ?? randomNetwork();
  const config: AgentConfig = {
    dataDir: opts.dataDir ?? mkdtempSync(join(tmpdir(), "k3lite-agent-")),
    nodeName: opts.nodeName,
    nodeLabels: opts.nodeLabels ?? [],
    nodeTaints: [],
    clusterCidr: net.clusterCidr,
    clusterDns: "10.43.0.10",
    serviceProxy: opts.clusterNetwork,
    clusterDnsServer: opts.clusterNetwork,
    ingressPort: opts.ingressPort,
    ingressHttpsPort: opts.ingressHttpsPort,
    clusterDomain: "cluster.local",
    runtime: "containerd",
    containerLogMaxSize: "10Mi",
    controlPlane: opts.controlPlane ?? false,
    kubeletPort: 0,
    podNetworkBridge: net.bridge,
    ...(opts.clientCaPem ? { clientCaPem: opts.clientCaPem } : {}),
    ...(opts.privateRegistry ? { privateRegistry: opts.privateRegistry } : {}),
  };
  // Recorded with the data dir, so a run that is killed gets swept by the next one.
  claimNetwork(net, config.dataDir);
  let agent: Agent | undefined;
  const cleanup = async () => {
    if (agent) {
      // Stop syncing first: a running agent would recreate the sandboxes removed below, and they would outlive
      // the test (containerd is then killed under them).
      await agent.stopPods().catch(() => {});
      const cri = createCriClient(agent.runtimeEndpoint);
      await removeAllSandboxes(cri).catch(() => {});
      cri.close();
      await agent.stop();
    }
    removeDataDir(config.dataDir);
    await removeTestNetwork(net);
  };
  try {
    agent = await startAgent(config, client, { ingressSecrets: opts.ingressSecretsClient });
    if (opts.importBusybox ?? true)
      await importImage(agentPaths(config.dataDir).containerdSocket, join(root, "dist/images/busybox.tar"));
  } catch (err) {
    await cleanup().catch(() => {});
    throw err;
  }
  const fx: AgentFixture = {
    config,
    agent,
    cleanup: () => {
      agent = fx.agent;
      return cleanup();
    },
  };
  return fx;
}

/**
 * A node agent joined to a `k3lite server` process (test/harness.ts), trusting the cluster's client CA for the
 * API server's relayed streams. It authenticates with the admin kubeconfig, or `asNode` as system:node:<name>
 * in system:nodes, as a joined agent does (so the Node authorizer must allow all it does).
 */
export async function startJoinedAgent(
  k3: K3lite,
  nodeName: string,
  opts: {
    labels?: string[];
    network?: AgentOptions["network"];
    asNode?: boolean;
    clusterNetwork?: boolean;
    ingressPort?: number;
    ingressHttpsPort?: number;
  } = {},
): Promise<AgentFixture> {
  const tls = join(k3.dataDir, "server/tls");
  const clientCaPem = readFileSync(join(tls, "client-ca.crt"), "utf8");
  // A client authenticated by a certificate from the server's client CA, as `user` in `groups`.
  const clientAs = async (user: string, groups: string[], userAgent: string) => {
    const cert = await issueClientCert(
      { clientCaCertPem: clientCaPem, clientCaKeyPem: readFileSync(join(tls, "client-ca.key"), "utf8") },
      { commonName: user, organizations: groups },
    );
    return createClient(
      httpsTransport({ server: k3.url, caPem: readFileSync(join(tls, "server-ca.crt"), "utf8"), ...cert }),
      { userAgent },
    );
  };
  const client = opts.asNode
    ? await clientAs(`system:node:${nodeName}`, ["system:nodes"], "k3lite-agent")
    : clientFromKubeconfig(k3.kubeconfig);
  // As `k3lite server` gives its own node: the ingress identity, allowed to read certificate Secrets.
  const ingressSecretsClient =
    opts.ingressHttpsPort !== undefined ? await clientAs(INGRESS_USER.username, [], "k3lite-ingress") : undefined;
  return startAgentFixture(client, {
    nodeName,
    nodeLabels: opts.labels,
    network: opts.network,
    clientCaPem,
    clusterNetwork: opts.clusterNetwork,
    ingressPort: opts.ingressPort,
    ingressHttpsPort: opts.ingressHttpsPort,
    ingressSecretsClient,
  });
}

/**
 * Writes an all-in-one server PKI into `dataDir`, whose client CA an agent on that data dir trusts, and returns
 * the client certificate the API server presents to the agent's port (logs, exec, port-forward).
 */
export async function apiServerClientCert(dataDir: string): Promise<{ certPem: string; keyPem: string }> {
  const pki = await ensureServerPki({
    dataDir,
    nodeName: "n",
    sans: [],
    clusterDomain: "cluster.local",
    firstServiceIp: "10.43.0.1",
  });
  return issueClientCert(pki, { commonName: "system:apiserver", organizations: ["system:masters"] });
}

/** A node agent against a fresh in-memory API (src/client/fake.ts) that confirms graceful pod deletions. */
export async function startFakeClusterAgent(opts: AgentOptions): Promise<AgentFixture & { fake: FakeCluster }> {
  const fake = createFakeCluster({ gracefulPodDeletion: true });
  return Object.assign(await startAgentFixture(fake.client, opts), { fake });
}

// ---- Pods bound to a node (no scheduler in the path), and waiting on them ----

/** A busybox container running `command`. */
export function busyboxContainer(name: string, command: string[], extra: Partial<Container> = {}): Container {
  return { name, image: "busybox:1.35", command, ...extra };
}

/** A pod in "default" bound to `nodeName`. */
export function podOnNode(
  nodeName: string,
  name: string,
  containers: Container[],
  opts: { terminationGracePeriodSeconds?: number; labels?: Record<string, string> } = {},
): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: { nodeName, terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds ?? 0, containers },
  };
}

/** Polls the pod through `client` until `check` holds; returns it. */
export function waitPod(
  client: KubeClient,
  name: string,
  what: string,
  check: (p: Pod) => unknown,
  timeoutMs = 30_000,
): Promise<Pod> {
  return waitFor(
    async () => {
      const p = await client.get<Pod>(inNamespace(pods, "default"), name);
      return check(p) ? p : undefined;
    },
    timeoutMs,
    `${name}: ${what}`,
  );
}

export const waitPodRunning = (client: KubeClient, name: string, timeoutMs = 30_000) =>
  waitPod(client, name, "Running", (p) => p.status?.phase === "Running", timeoutMs);

/** Waits with the real kubectl until the pod is Running with an IP; returns it as kubectl printed it. */
export function kubectlWaitRunning(k3: K3lite, name: string, timeoutMs = 60_000): Promise<Pod> {
  return waitFor(
    async () => {
      const r = await k3.kubectl(["get", "pod", name, "-o", "json"]);
      const p = r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
      return p?.status?.phase === "Running" && p.status.podIP ? p : undefined;
    },
    timeoutMs,
    `${name} Running`,
  );
}

/** Runs kubectl until it succeeds with stdout matching `pattern`; returns stdout (the last output on timeout). */
export async function kubectlUntil(k3: K3lite, args: string[], pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  let last = "";
  return waitFor(
    async () => {
      const r = await k3.kubectl(args);
      last = `${r.stdout}${r.stderr}`;
      return r.code === 0 && pattern.test(r.stdout) && r.stdout;
    },
    timeoutMs,
    `kubectl ${args.join(" ")}`,
  ).catch((err) => {
    throw new Error(`${err.message}; last output: ${last}`);
  });
}

/**
 * Fetches `url` until it answers 200 and returns the body: a container is Running before its server listens,
 * and a connection accepted before a port-forward tunnel is up may never answer (each try has its own deadline).
 */
export function waitHttp(url: string, what: string, timeoutMs = 30_000): Promise<string> {
  return waitFor(
    async () => {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return r.ok ? await r.text() : undefined;
    },
    timeoutMs,
    what,
  );
}

/** Runs `kubectl <args>` (a port-forward to ":PORT") until it prints the local port it forwards from. */
export async function portForward(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ port: string; stop(): Promise<void> }> {
  const pf = Bun.spawn([KUBECTL, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const stop = async () => {
    pf.kill();
    await pf.exited;
  };
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
    return { port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * For one test file: a real `k3lite server` on its own pod network range and an agent joined to it, authenticated
 * as its node (so the Node authorizer must allow all it does); then `setup` (e.g. a pod to work with). Started in
 * beforeAll, cleaned up in afterAll. `node()` is the agent fixture once started.
 */
export function useServerWithAgent(
  nodeName: string,
  setup?: (k3: K3lite) => Promise<void>,
  opts: { clusterNetwork?: boolean; ingressPort?: number; ingressHttpsPort?: number } = {},
): { k3: K3lite; node(): AgentFixture } {
  let k3: K3lite | undefined;
  let node: AgentFixture | undefined;
  beforeAll(async () => {
    const network = randomNetwork();
    // The server's node IPAM hands out pod CIDRs from its --cluster-cidr: give it this file's own range.
    k3 = await startK3lite({ args: ["--cluster-cidr", network.clusterCidr] });
    node = await startJoinedAgent(k3, nodeName, { network, asNode: true, ...opts });
    await setup?.(k3);
  }, 120_000);
  afterAll(async () => {
    await node?.cleanup();
    await k3?.stop();
  }, 60_000);
  return {
    k3: lateK3lite(() => k3),
    node: () => {
      if (!node) throw new Error("the agent is not started: use it inside hooks and tests");
      return node;
    },
  };
}
