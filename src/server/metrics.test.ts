// metrics.k8s.io from kubelet summaries: quantities as metrics-server writes them, CPU rates between two samples,
// and the API (discovery, get/list, selectors, NotFound) served in-process from a fake agent's summaries.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Summary } from "../agent/streams/stats.ts";
import type { KubeObject } from "../api/types.ts";
import { type ApiServer, createApiServer } from "../apiserver/app.ts";
import { formatBytes, formatNanoCores } from "../apiserver/resources/metrics.ts";
import { openStore } from "../store/index.ts";
import type { Store } from "../store/types.ts";
import { formatWindow, nodeMetricsOf, podMetricsOf, SummaryScraper, serveMetrics } from "./metrics.ts";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-01T00:00:02.000Z";
const cpu = (time: string, cumulativeNs: number, nanoCores = 0) => ({
  time,
  usageNanoCores: nanoCores,
  usageCoreNanoSeconds: cumulativeNs,
});
const mem = (time: string, bytes: number) => ({ time, workingSetBytes: bytes });

/** A summary at `time` with node CPU `nodeNs` and one pod "web" (uid u1) of two containers. */
function summary(time: string, nodeNs: number, appNs: number, uid = "u1"): Summary {
  return {
    node: { nodeName: "n1", cpu: cpu(time, nodeNs), memory: mem(time, 512 * 1024 * 1024) },
    pods: [
      {
        podRef: { name: "web", namespace: "default", uid },
        containers: [
          { name: "app", cpu: cpu(time, appNs), memory: mem(time, 12345 * 1024) },
          { name: "side", cpu: cpu(time, 0, 5_000_000), memory: mem(time, 4096) },
        ],
        cpu: cpu(time, appNs),
        memory: mem(time, 12345 * 1024 + 4096),
      },
    ],
  };
}

describe("quantities", () => {
  test("CPU in canonical decimal form from nanocores", () => {
    expect(formatNanoCores(0)).toBe("0");
    expect(formatNanoCores(12_345_678)).toBe("12345678n");
    expect(formatNanoCores(5_000_000)).toBe("5m");
    expect(formatNanoCores(1_500_000_000)).toBe("1500m");
    expect(formatNanoCores(2_000_000_000)).toBe("2");
    expect(formatNanoCores(3_000)).toBe("3u");
  });

  test("memory in canonical binary form from bytes", () => {
    expect(formatBytes(12345 * 1024)).toBe("12345Ki");
    expect(formatBytes(64 * 1024 * 1024)).toBe("64Mi");
    expect(formatBytes(12345)).toBe("12345");
    expect(formatBytes(512)).toBe("512");
    expect(formatBytes(0)).toBe("0");
  });

  test("windows as Go durations", () => {
    expect(formatWindow(15_000)).toBe("15s");
    expect(formatWindow(1_502)).toBe("1.502s");
    expect(formatWindow(60_000)).toBe("1m0s");
  });
});

describe("summary → metrics", () => {
  const pair = { base: summary(T0, 10e9, 1e9), current: summary(T1, 11e9, 1.2e9) };

  test("node: CPU is the rate between the samples, memory the working set", () => {
    const m = nodeMetricsOf({ metadata: { name: "n1", labels: { a: "b" } } }, pair);
    expect(m).toMatchObject({ kind: "NodeMetrics", apiVersion: "metrics.k8s.io/v1beta1", timestamp: T1, window: "2s" });
    expect(m.metadata).toMatchObject({ name: "n1", labels: { a: "b" } });
    // 1e9 ns of CPU over 2 s = half a core.
    expect(m.usage).toEqual({ cpu: "500m", memory: "512Mi" });
  });

  test("pod: one entry per container, each with its own rate", () => {
    const pod: KubeObject = { metadata: { name: "web", namespace: "default", uid: "u1", labels: { app: "web" } } };
    const m = podMetricsOf(pod, pair);
    expect(m?.metadata).toMatchObject({ name: "web", namespace: "default", labels: { app: "web" } });
    expect(m?.window).toBe("2s");
    expect(m?.containers).toEqual([
      { name: "app", usage: { cpu: "100m", memory: "12345Ki" } },
      { name: "side", usage: { cpu: "0", memory: "4Ki" } },
    ]);
  });

  test("without an earlier sample the agent's instantaneous CPU is used; unknown pods have no metrics", () => {
    const m = podMetricsOf(
      { metadata: { name: "web", namespace: "default", uid: "u1" } },
      { current: summary(T1, 1, 1) },
    );
    expect(m?.containers[1].usage.cpu).toBe("5m");
    expect(m?.window).toBe("0s");
    expect(podMetricsOf({ metadata: { name: "other", namespace: "default", uid: "u2" } }, pair)).toBeUndefined();
  });
});

describe("SummaryScraper", () => {
  test("the first look at a node takes two samples; a later one reuses the last as its base", async () => {
    let scrapes = 0;
    const scraper = new SummaryScraper(
      async () => summary(new Date(Date.parse(T0) + ++scrapes * 1000).toISOString(), scrapes * 1e9, 0),
      20,
    );
    const node = { metadata: { name: "n1" } };
    const first = await scraper.sample(node);
    expect(scrapes).toBe(2);
    expect(first.base?.node.cpu.usageCoreNanoSeconds).toBe(1e9);
    await Bun.sleep(25); // older than the minimum window
    const second = await scraper.sample(node);
    expect(scrapes).toBe(3);
    expect(second.base?.node.cpu.usageCoreNanoSeconds).toBe(2e9);
    expect(nodeMetricsOf(node, second).usage.cpu).toBe("1");
  });
});

describe("metrics.k8s.io served in-process", () => {
  let dir: string;
  let store: Store;
  let api: ApiServer;
  let scrapes = 0;
  let webUid = "";
  const admin = { user: { username: "admin", groups: ["system:masters"] } };
  const call = (method: string, path: string, body?: unknown, accept = "application/json") =>
    api.app.fetch(
      new Request(`http://k${path}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { "content-type": "application/json", accept },
      }),
      admin,
    );
  const get = async (path: string, accept?: string) => {
    const res = await call("GET", path, undefined, accept);
    // biome-ignore lint/suspicious/noExplicitAny: the answers are checked field by field below
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "k3lite-metrics-"));
    store = await openStore({ dataDir: dir, compactWindow: false });
    api = createApiServer({ store, serviceCidr: "10.43.0.0/16" });
    // The fake agent's counters advance by a second of CPU per scrape.
    serveMetrics(
      api,
      async () => {
        scrapes++;
        const t = new Date(Date.parse(T0) + scrapes * 1000).toISOString();
        return summary(t, scrapes * 1e9, scrapes * 0.25e9, webUid);
      },
      1,
    );
    await call("POST", "/api/v1/namespaces", { metadata: { name: "default" } });
    await call("POST", "/api/v1/nodes", { metadata: { name: "n1", labels: { zone: "a" } } });
    for (const name of ["web", "idle"]) {
      const res = await call("POST", "/api/v1/namespaces/default/pods", {
        metadata: { name, labels: { app: name } },
        spec: { nodeName: "n1", containers: [{ name: "app", image: "busybox" }] },
      });
      expect(res.status).toBe(201);
      // The fake agent reports "web" (by its uid) and nothing for "idle".
      if (name === "web") webUid = ((await res.json()) as KubeObject).metadata?.uid ?? "";
    }
  });

  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("discovery lists nodes and pods with get and list", async () => {
    const list = await get("/apis/metrics.k8s.io/v1beta1");
    expect(list.status).toBe(200);
    const byName = Object.fromEntries((list.body.resources as { name: string }[]).map((r) => [r.name, r]));
    expect(byName.nodes).toMatchObject({ kind: "NodeMetrics", namespaced: false, verbs: ["get", "list"] });
    expect(byName.pods).toMatchObject({ kind: "PodMetrics", namespaced: true, verbs: ["get", "list"] });
    const groups = await get("/apis");
    expect((groups.body.groups as { name: string }[]).map((g) => g.name)).toContain("metrics.k8s.io");
    const aggregated = await get("/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    const group = (aggregated.body.items as { metadata: { name: string } }[]).find(
      (g) => g.metadata.name === "metrics.k8s.io",
    );
    expect(group).toBeDefined();
  });

  test("NodeMetrics get and list (label selector); unknown node is NotFound", async () => {
    const one = await get("/apis/metrics.k8s.io/v1beta1/nodes/n1");
    expect(one.status).toBe(200);
    expect(one.body.usage.cpu).toBe("1");
    expect(one.body.usage.memory).toBe("512Mi");
    const all = await get("/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Da");
    expect(all.body).toMatchObject({ kind: "NodeMetricsList", items: [{ metadata: { name: "n1" } }] });
    expect((await get("/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Db")).body.items).toEqual([]);
    const missing = await get("/apis/metrics.k8s.io/v1beta1/nodes/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('nodemetrics.metrics.k8s.io "nope" not found');
  });

  test("PodMetrics list per namespace and across namespaces; unknown pod is NotFound; watch is refused", async () => {
    const web = await get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb");
    expect(web.status).toBe(200);
    expect(web.body).toMatchObject({
      kind: "PodMetricsList",
      items: [{ metadata: { name: "web", labels: { app: "web" } } }],
    });
    expect(web.body.items[0].containers.map((c: { name: string }) => c.name)).toEqual(["app", "side"]);
    // "idle" has no stats yet: left out of lists, NotFound by name.
    const everywhere = await get("/apis/metrics.k8s.io/v1beta1/pods");
    expect(everywhere.body.items.map((p: KubeObject) => p.metadata?.name)).toEqual(["web"]);
    expect((await get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/idle")).status).toBe(404);
    expect((await get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web")).body.kind).toBe("PodMetrics");
    const missing = await get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('podmetrics.metrics.k8s.io "default/nope" not found');
    expect((await call("GET", "/apis/metrics.k8s.io/v1beta1/pods?watch=1")).status).toBe(405);
    const table = await get("/apis/metrics.k8s.io/v1beta1/nodes", "application/json;as=Table;v=v1;g=meta.k8s.io");
    expect(table.body.kind).toBe("Table");
    expect((table.body.columnDefinitions as { name: string }[]).map((c) => c.name)).toEqual([
      "Name",
      "CPU",
      "Memory",
      "Window",
    ]);
  });
});
