// Pod start-up benchmark on real containerd: `bun bench/podstartup.ts` (full) or `--smoke` (short CI run).
// Starts k3lite's API server in this process and the node agent with its own containerd (temp data dir, its
// own bridge and subnet), then prints a markdown table:
//  - time from starting the server to the node Ready;
//  - create → Running+Ready latency (p50/p99) for 1 pod, and for 30 pods created at once (image present);
//  - idle RSS of this process (API server + agent) and of containerd, with 0 and with 30 pods.
// Pods are created with spec.nodeName set, so the figures are the agent's alone (no scheduler in the path).
// `--perf FILE` also records the 30-pod batch with `perf record -a` (then: perf report -i FILE --sort comm), to
// see which processes (k3lite, containerd, shims, runc, CNI plugins, kernel) spent the machine's CPU.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCriClient } from "../src/agent/cri/client.ts";
import { importImage } from "../src/agent/cri/images.ts";
import { agentPaths } from "../src/agent/paths.ts";
import { poll } from "../src/agent/wait.ts";
import type { Node, Pod } from "../src/api/types.ts";
import { inNamespace, nodes, pods } from "../src/client/refs.ts";
import type { KubeClient, WatchEvent } from "../src/client/types.ts";
import { startServer } from "../src/server/index.ts";
import {
  type AgentFixture,
  busyboxContainer,
  ensureTestImages,
  podOnNode,
  randomNetwork,
  startAgentFixture,
} from "../test/agent-fixture.ts";
import { testServerConfig } from "../test/harness.ts";
import { printReport, report } from "./report.ts";

const smoke = process.argv.includes("--smoke");
const BATCH = smoke ? 5 : 30;
const ms = (x: number) => `${Math.round(x)} ms`;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
const containerdPid = (dataDir: string) => Number(readFileSync(agentPaths(dataDir).containerdPidFile, "utf8"));

/** Busy and total CPU time of the whole machine so far (all cores, from /proc/stat), in ms. */
function machineCpuMs(): { busy: number; total: number } {
  const f = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: ((total - idle) * 1000) / 100, total: (total * 1000) / 100 };
}

/** `perf record -a` around a piece of work, when --perf FILE was given. */
async function maybePerf<T>(work: () => Promise<T>): Promise<T> {
  const i = process.argv.indexOf("--perf");
  const file = i > 0 ? process.argv[i + 1] : undefined;
  if (!file) return work();
  const perf = Bun.spawn(["perf", "record", "-a", "-g", "-o", file], { stdout: "ignore", stderr: "ignore" });
  await Bun.sleep(300); // perf needs a moment before it samples
  try {
    return await work();
  } finally {
    perf.kill("SIGINT");
    await perf.exited;
  }
}

/** utime+stime of a process (and, with `reaped`, of its reaped children), in ms; 0 once it is gone. */
function cpuMsOf(pid: number, reaped: boolean): number {
  let stat = "";
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  const ticks = (reaped ? [11, 12, 13, 14] : [11, 12]).reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return (ticks * 1000) / 100;
}

/**
 * CPU of the pod stack under our containerd, in ms: containerd itself with what it reaped (CNI plugins, the
 * shims' start-up processes), and the shims with what they reaped (runc/crun) plus the live processes below them
 * (the pods' processes carry the runtime's in-container init time). Other work on the machine is not counted.
 */
function podStackCpuMs(dataDir: string): { containerd: number; shims: number } {
  const socket = agentPaths(dataDir).containerdSocket;
  const children = new Map<number, number[]>();
  const shims: number[] = [];
  for (const d of readdirSync("/proc")) {
    const pid = Number(d);
    if (!pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(") ") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      if (stat.includes("(containerd-shim") && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(socket))
        shims.push(pid);
    } catch {}
  }
  const below = (pid: number): number =>
    (children.get(pid) ?? []).reduce((sum, c) => sum + cpuMsOf(c, true) + below(c), 0);
  return {
    containerd: cpuMsOf(containerdPid(dataDir), true),
    shims: shims.reduce((sum, pid) => sum + cpuMsOf(pid, true) + below(pid), 0),
  };
}

const ready = (p: Pod) =>
  p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");

/** Resolves with name → ms from `t0` when each named pod first turns Running+Ready. */
function watchReady(client: KubeClient, names: Set<string>, t0: () => number): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  return new Promise((resolve, reject) => {
    // A stuck pod must not hang the bench (and leave its containerd behind): fail, and clean up.
    const timer = setTimeout(() => {
      handle.stop();
      reject(new Error(`only ${done.size} of ${names.size} pods Ready after 120 s`));
    }, 120_000);
    const handle = client.watch<Pod>(inNamespace(pods, "default"), {}, (ev: WatchEvent<Pod>) => {
      const name = ev.object.metadata?.name ?? "";
      if (!names.has(name) || done.has(name) || !ready(ev.object)) return;
      done.set(name, Date.now() - t0());
      if (done.size === names.size) {
        clearTimeout(timer);
        handle.stop();
        resolve(done);
      }
    });
  });
}

const podManifest = (name: string, node: string) =>
  podOnNode(node, name, [busyboxContainer("c", ["sleep", "3600"])], { labels: { bench: "podstartup" } });

async function createBatch(client: KubeClient, prefix: string, n: number, node: string): Promise<number[]> {
  const names = new Set(Array.from({ length: n }, (_, i) => `${prefix}-${i}`));
  let t0 = 0;
  const watching = watchReady(client, names, () => t0);
  await Bun.sleep(50); // let the watch open
  t0 = Date.now();
  await Promise.all([...names].map((name) => client.create(inNamespace(pods, "default"), podManifest(name, node))));
  return [...(await watching).values()];
}

async function deleteAllPods(client: KubeClient, fx: AgentFixture): Promise<void> {
  const list = await client.list<Pod>(inNamespace(pods, "default"));
  await Promise.all(
    list.items.map((p) =>
      client.delete(inNamespace(pods, "default"), p.metadata?.name ?? "", { gracePeriodSeconds: 0 }).catch(() => {}),
    ),
  );
  const cri = createCriClient(fx.agent.runtimeEndpoint);
  try {
    await poll("the agent to remove every sandbox", async () => (await cri.listPodSandbox()).length === 0, {
      timeoutMs: 60_000,
    });
  } finally {
    cri.close();
  }
}

ensureTestImages();
const dataDir = mkdtempSync(join(tmpdir(), "k3lite-bench-pods-"));
const net = randomNetwork();
const start = Date.now();
// Only the API server runs in this process (testServerConfig disables the rest): pods carry spec.nodeName (no
// scheduler in the path), and the two objects the controllers would create for every pod's kube-api-access volume
// are created below.
const server = await startServer(
  testServerConfig(dataDir, 0, { nodeName: "bench", clusterCidr: net.clusterCidr, secretsEncryption: false }),
);
const client = server.client();
let agent: AgentFixture | undefined;
try {
  // busybox is imported after the node is Ready, so the start-up figure is the agent's own.
  agent = await startAgentFixture(client, {
    nodeName: "bench",
    dataDir,
    network: net,
    controlPlane: true,
    importBusybox: false,
  });
  for (;;) {
    const node = await client.get<Node>(nodes, "bench");
    if (node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) break;
    await Bun.sleep(10);
  }
  report("start (server + agent + containerd) → node Ready", ms(Date.now() - start), "≤ 3,000 ms");
  await importImage(agentPaths(dataDir).containerdSocket, join(import.meta.dir, "../dist/images/busybox.tar"));
  const ns = (resource: string) => inNamespace({ group: "", version: "v1", resource }, "default");
  await client.create(ns("serviceaccounts"), {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "default" },
  });
  await client.create(ns("configmaps"), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "kube-root-ca.crt" },
    data: { "ca.crt": server.pki.serverCaCertPem },
  });

  await Bun.sleep(1000);
  Bun.gc(true);
  report(
    "idle RSS, 0 pods: k3lite process / containerd",
    `${mib(process.memoryUsage().rss)} / ${mib(rssOf(containerdPid(dataDir)))}`,
  );

  const single = await createBatch(client, "single", 1, "bench");
  report("create → Running+Ready, 1 pod", ms(single[0] ?? 0));

  const cpu0 = process.cpuUsage();
  const stack0 = podStackCpuMs(dataDir);
  const m0 = machineCpuMs();
  const batch = await maybePerf(() => createBatch(client, "batch", BATCH, "bench"));
  const cpu1 = process.cpuUsage(cpu0);
  const m1 = machineCpuMs();
  const stack1 = podStackCpuMs(dataDir);
  const k3liteMs = (cpu1.user + cpu1.system) / 1000;
  const containerdMs = stack1.containerd - stack0.containerd;
  const shimsMs = stack1.shims - stack0.shims;
  report(
    `CPU spent on the ${BATCH}-pod batch: k3lite process / containerd + CNI plugins / shims + runtime + pods' processes = total`,
    `${ms(k3liteMs)} / ${ms(containerdMs)} / ${ms(shimsMs)} = ${ms(k3liteMs + containerdMs + shimsMs)} (${ms((k3liteMs + containerdMs + shimsMs) / BATCH)} per pod)`,
  );
  report(
    "CPU time of the whole machine during the batch (every process, other work included): busy / available",
    `${ms(m1.busy - m0.busy)} / ${ms(m1.total - m0.total)}`,
  );
  report(
    `create → Running+Ready, ${BATCH} pods at once: p50 / p99`,
    `${ms(pct(batch, 50))} / ${ms(pct(batch, 99))}`,
    "p50 ≤ 300 ms, p99 ≤ 1,000 ms (30 pods)",
  );

  await Bun.sleep(2000);
  Bun.gc(true);
  report(
    `idle RSS, ${BATCH + 1} pods: k3lite process / containerd`,
    `${mib(process.memoryUsage().rss)} / ${mib(rssOf(containerdPid(dataDir)))}`,
  );
} finally {
  // Pods go first, through the agent, so their sandboxes (and network namespaces, which live outside the data
  // dir) are torn down properly; the fixture's clean-up below would race a still-running agent that recreates
  // them, and then kill containerd with their namespaces still mounted.
  if (agent) await deleteAllPods(client, agent).catch((err) => console.error(`deleting pods: ${err.message}`));
  // The agent's clean-up removes the data dir it shares with the server (and, if it never started, cleaned up).
  await agent?.cleanup();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

printReport();
process.exit(0);
