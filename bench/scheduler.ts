// Scheduler benchmark: `bun bench/scheduler.ts` (full) or `bun bench/scheduler.ts --smoke` (short CI run).
// Starts k3lite's API server in this process (all-in-one: the scheduler, controllers and hollow nodes talk to it
// through the in-process client), and prints a markdown table:
//  - pods scheduled per second with 100 and 1,000 hollow nodes (10,000 pending pods, bound by the scheduler);
//  - time from applying a 1,000-replica Deployment to all its pods Running (controllers + scheduler + hollow nodes).

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHollowNodes } from "../src/agent/hollow.ts";
import type { Deployment, Pod } from "../src/api/types.ts";
import { createInformerFactory } from "../src/client/informer.ts";
import { deployments, inNamespace, pods } from "../src/client/refs.ts";
import type { KubeClient } from "../src/client/types.ts";
import { startControllers } from "../src/controllers/index.ts";
import { SchedulerCache } from "../src/scheduler/cache.ts";
import { SchedulingCycle } from "../src/scheduler/cycle.ts";
import { newPodInfo } from "../src/scheduler/nodeinfo.ts";
import { DEFAULT_PLUGINS } from "../src/scheduler/plugins/registry.ts";
import { startScheduler } from "../src/scheduler/scheduler.ts";
import { type RunningServer, startServer } from "../src/server/index.ts";
import { testServerConfig } from "../test/harness.ts";
import { printReport, report } from "./report.ts";

const smoke = process.argv.includes("--smoke");
const KUBECTL = process.env.KUBECTL ?? "/usr/bin/kubectl";
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
/** Goals are set for the full-size runs; a smoke run's smaller figures are not compared with them. */
const goal = (text: string) => (smoke ? "" : text);

async function withServer<T>(body: (server: RunningServer, kubeconfig: string) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), "k3lite-bench-sched-"));
  // startServer runs the API server only (testServerConfig disables the rest); this benchmark starts each
  // component itself.
  const server = await startServer(testServerConfig(dataDir, 0, { nodeName: "bench", secretsEncryption: false }));
  try {
    return await body(server, join(dataDir, "kubeconfig.yaml"));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Resolves when `done(count)` holds for the pods `matches` selects, counted from a watch of all pods. */
function countPods(client: KubeClient, matches: (pod: Pod) => boolean) {
  const factory = createInformerFactory(client);
  const informer = factory.informer<Pod>(pods);
  const seen = new Set<string>();
  let waiter: { n: number; resolve: () => void } | undefined;
  const check = (pod: Pod) => {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (matches(pod)) seen.add(key);
    else seen.delete(key);
    if (waiter && seen.size >= waiter.n) waiter.resolve();
  };
  informer.addEventHandler({
    add: check,
    update: (_o, n) => check(n),
    delete: (p) => seen.delete(`${p.metadata?.namespace}/${p.metadata?.name}`),
  });
  factory.start();
  return {
    synced: informer.waitForSync(),
    reach: (n: number) =>
      new Promise<void>((resolve) => {
        waiter = { n, resolve };
        if (seen.size >= n) resolve();
      }),
    stop: () => factory.stop(),
  };
}

async function createPods(client: KubeClient, count: number, concurrency = 32): Promise<void> {
  const ref = inNamespace(pods, "default");
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await client.create<Pod>(ref, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `bench-${i}`, labels: { app: "bench" } },
        spec: { containers: [{ name: "c", image: "pause", resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Pods bound per second: pending pods exist first, then the scheduler starts and binds them all. */
async function schedulingThroughput(nodeCount: number, podCount: number): Promise<number> {
  return withServer(async (server) => {
    const client = server.client();
    // Kubelets would report pods Running; keep them quiet here so the figure is the scheduler's.
    const hollow = startHollowNodes(client, {
      count: nodeCount,
      cpu: "64",
      memory: "256Gi",
      pods: 250,
      readyDelayMs: 3_600_000,
    });
    await hollow.ready;
    await createPods(client, podCount);
    const bound = countPods(client, (p) => !!p.spec?.nodeName);
    await bound.synced;
    const start = performance.now();
    const scheduler = startScheduler(client);
    await bound.reach(podCount);
    const ms = performance.now() - start;
    await scheduler.stop();
    bound.stop();
    await hollow.stop();
    return (podCount / ms) * 1000;
  });
}

/** Seconds from creating a Deployment to all its pods Running (controllers, scheduler and hollow nodes). */
async function deploymentToRunning(replicas: number, nodeCount: number): Promise<number> {
  return withServer(async (server, kubeconfig) => {
    const client = server.client();
    const hollow = startHollowNodes(client, { count: nodeCount, readyDelayMs: 0 });
    await hollow.ready;
    const controllers = startControllers(client, { clusterCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16" });
    const scheduler = startScheduler(client);
    await Promise.all([controllers.ready, scheduler.ready]);
    const running = countPods(client, (p) => p.metadata?.labels?.app === "big" && p.status?.phase === "Running");
    await running.synced;
    const deployment: Deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "big", namespace: "default" },
      spec: {
        replicas,
        selector: { matchLabels: { app: "big" } },
        template: { metadata: { labels: { app: "big" } }, spec: { containers: [{ name: "c", image: "pause" }] } },
      },
    };
    const start = performance.now();
    if (existsSync(KUBECTL)) {
      // As a user would: the real kubectl over HTTPS with the admin kubeconfig (its start-up time included).
      const proc = Bun.spawn([KUBECTL, "--kubeconfig", kubeconfig, "apply", "-f", "-"], {
        stdin: new TextEncoder().encode(JSON.stringify(deployment)),
        stdout: "ignore",
        stderr: "pipe",
      });
      if ((await proc.exited) !== 0) throw new Error(`kubectl apply: ${await new Response(proc.stderr).text()}`);
    } else await client.create<Deployment>(inNamespace(deployments, "default"), deployment);
    await running.reach(replicas);
    const ms = performance.now() - start;
    running.stop();
    await scheduler.stop();
    await controllers.stop();
    await hollow.stop();
    return ms / 1000;
  });
}

/** Pods per second through filter, score and assume alone (no API): the algorithm's ceiling. */
function cycleOnly(nodeCount: number, podCount: number): number {
  const cache = new SchedulerCache(() => 0);
  for (let i = 0; i < nodeCount; i++) {
    cache.addNode({
      metadata: { name: `n${i}`, labels: { "kubernetes.io/hostname": `n${i}` } },
      status: { allocatable: { cpu: "64", memory: "256Gi", pods: "250" } },
    });
  }
  const cycle = new SchedulingCycle(DEFAULT_PLUGINS);
  const start = performance.now();
  for (let i = 0; i < podCount; i++) {
    const pod: Pod = {
      metadata: { name: `p${i}`, namespace: "default" },
      spec: { containers: [{ name: "c", resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
    };
    const info = newPodInfo(pod);
    const result = cycle.run(info, cache.snapshot());
    if (result.kind === "scheduled") cache.assume(info, result.nodeName);
  }
  return (podCount / (performance.now() - start)) * 1000;
}

const podCount = smoke ? 500 : 10_000;
for (const nodes of [100, 1000]) {
  const n = smoke ? nodes / 10 : nodes;
  report(`scheduling cycle alone (no API), pods/s, ${fmt(n)} nodes`, fmt(cycleOnly(n, podCount)));
}
for (const nodes of [100, 1000]) {
  const n = smoke ? nodes / 10 : nodes;
  console.error(`scheduling ${fmt(podCount)} pods on ${fmt(n)} hollow nodes…`);
  const rate = await schedulingThroughput(n, podCount);
  report(
    `pods scheduled/s, ${fmt(n)} nodes, ${fmt(podCount)} pods`,
    fmt(rate),
    goal(nodes === 100 ? "≥ 1,000" : "≥ 500"),
  );
}
const replicas = smoke ? 100 : 1000;
console.error(`deployment of ${fmt(replicas)} replicas…`);
const seconds = await deploymentToRunning(replicas, smoke ? 10 : 100);
const how = existsSync(KUBECTL) ? "kubectl apply" : "created";
report(
  `${fmt(replicas)}-replica Deployment ${how} → all pods Running (${smoke ? 10 : 100} hollow nodes)`,
  `${seconds.toFixed(2)} s`,
  goal("≤ 5 s"),
);

printReport();
process.exit(0);
