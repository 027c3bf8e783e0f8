// Generic REST semantics through the in-process client (no controllers run here, so every effect is the API
// server's own): allocation of ClusterIPs and NodePorts, graceful pod deletion and binding, eviction with a
// PodDisruptionBudget, scale, dryRun, deletecollection, body limits, Table output and watch semantics.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../src/api/types.ts";
import { ApiError, type KubeClient, type ResourceRef, type WatchEvent } from "../src/client/types.ts";
import { type RunningServer, startServer } from "../src/server/index.ts";
import { freePort, testServerConfig, waitFor } from "./harness.ts";

let server: RunningServer;
let dataDir: string;
let c: KubeClient;

const ns = "rest";
const ref = (resource: string, group = "", version = "v1"): ResourceRef => ({
  group,
  version,
  resource,
  namespace: ns,
});
const pods = ref("pods");
const services = ref("services");
const configmaps = ref("configmaps");

async function status(
  p: Promise<unknown>,
): Promise<{ code: number; reason?: string; message?: string; causes?: unknown[] }> {
  try {
    await p;
    return { code: 200 };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { code: err.code, reason: err.reason, message: err.status.message, causes: err.status.details?.causes };
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "k3lite-rest-"));
  const config = testServerConfig(dataDir, await freePort(), {
    nodeName: "n1",
    serviceCidr: "10.96.0.0/28",
    clusterDns: "10.96.0.10",
    secretsEncryption: false,
  });
  server = await startServer(config);
  c = server.client();
  await c.create({ group: "", version: "v1", resource: "namespaces" }, { metadata: { name: ns } });
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const pod = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { name, labels },
  spec: { containers: [{ name: "main", image: "busybox" }] },
});

describe("services", () => {
  test("ClusterIPs come from the service CIDR, are never handed out twice, and return on delete", async () => {
    // 10.96.0.0/28: .1 is the kubernetes Service, .10 kube-dns (the cluster DNS IP), .0 and .15 are reserved, so
    // 12 remain.
    const ips = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const svc = await c.create<KubeObject>(services, {
        metadata: { name: `s${i}` },
        spec: { ports: [{ port: 80 }] },
      });
      ips.add(svc.spec.clusterIP);
    }
    expect(ips.size).toBe(12);
    expect(ips.has("10.96.0.1")).toBe(false);
    expect(ips.has("10.96.0.10")).toBe(false);
    const full = await status(c.create(services, { metadata: { name: "s12" }, spec: { ports: [{ port: 80 }] } }));
    expect(full.code).toBe(422);
    const taken = await status(
      c.create(services, { metadata: { name: "dup" }, spec: { clusterIP: [...ips][0], ports: [{ port: 80 }] } }),
    );
    expect(taken).toMatchObject({ code: 422 });
    expect(taken.message).toContain("provided IP is already allocated");
    await c.delete(services, "s0");
    const again = await c.create<KubeObject>(services, { metadata: { name: "s12" }, spec: { ports: [{ port: 80 }] } });
    expect(again.spec.clusterIP).toMatch(/^10\.96\.0\./);
    const changed = await status(c.patch(services, "s12", { spec: { clusterIP: "10.96.0.200" } }, "merge"));
    expect(changed.code).toBe(422);
    expect(changed.message).toContain("field is immutable");
    for (let i = 1; i < 13; i++) await c.delete(services, `s${i}`);
  });

  test("NodePorts are allocated in 30000-32767, a taken one is refused, and deletion frees it", async () => {
    const a = await c.create<KubeObject>(services, {
      metadata: { name: "np" },
      spec: { type: "NodePort", ports: [{ port: 80 }] },
    });
    const port = a.spec.ports[0].nodePort;
    expect(port).toBeGreaterThanOrEqual(30000);
    expect(port).toBeLessThanOrEqual(32767);
    const clash = await status(
      c.create(services, {
        metadata: { name: "np2" },
        spec: { type: "NodePort", ports: [{ port: 80, nodePort: port }] },
      }),
    );
    expect(clash).toMatchObject({ code: 422 });
    expect(clash.message).toContain("provided port is already allocated");
    await c.delete(services, "np");
    const reuse = await c.create<KubeObject>(services, {
      metadata: { name: "np2" },
      spec: { type: "NodePort", ports: [{ port: 80, nodePort: port }] },
    });
    expect(reuse.spec.ports[0].nodePort).toBe(port);
    await c.delete(services, "np2");
  });
});

describe("pods", () => {
  test("defaults, binding once, graceful deletion confirmed with grace 0", async () => {
    const p = await c.create<KubeObject>(pods, pod("g1"));
    expect(p.spec).toMatchObject({
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      terminationGracePeriodSeconds: 30,
      schedulerName: "default-scheduler",
    });
    expect(p.spec.containers[0].imagePullPolicy).toBe("Always");
    expect(p.status.phase).toBe("Pending");
    await c.create(
      pods,
      { apiVersion: "v1", kind: "Binding", metadata: { name: "g1" }, target: { kind: "Node", name: "n1" } },
      {},
      "binding",
    );
    expect((await c.get<KubeObject>(pods, "g1")).spec.nodeName).toBe("n1");
    const twice = await status(
      c.create(
        pods,
        { apiVersion: "v1", kind: "Binding", metadata: { name: "g1" }, target: { kind: "Node", name: "n2" } },
        {},
        "binding",
      ),
    );
    expect(twice.code).toBe(409);

    // Bound: deletion waits for the node agent, which confirms with gracePeriodSeconds=0.
    await c.delete(pods, "g1");
    const deleting = await c.get<KubeObject>(pods, "g1");
    expect(deleting.metadata?.deletionTimestamp).toBeString();
    expect(deleting.metadata?.deletionGracePeriodSeconds).toBe(30);
    await c.delete(pods, "g1", { gracePeriodSeconds: 0 });
    expect((await status(c.get(pods, "g1"))).code).toBe(404);

    // Unbound pods have nothing to stop and go at once.
    await c.create(pods, pod("g2"));
    await c.delete(pods, "g2");
    expect((await status(c.get(pods, "g2"))).code).toBe(404);
  });

  test("validation names every bad field", async () => {
    const bad = await status(
      c.create(pods, {
        metadata: { name: "Bad_Name" },
        spec: { containers: [{ name: "a" }, { name: "a", image: "x" }], restartPolicy: "Sometimes" },
      }),
    );
    expect(bad.code).toBe(422);
    const fields = (bad.causes as { field: string }[]).map((x) => x.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "metadata.name",
        "spec.containers[0].image",
        "spec.containers[1].name",
        "spec.restartPolicy",
      ]),
    );
  });

  test("eviction honours a PodDisruptionBudget (429) and otherwise deletes", async () => {
    await c.create(pods, pod("e1", { app: "guarded" }));
    await c.create(ref("poddisruptionbudgets", "policy"), {
      metadata: { name: "pdb" },
      spec: { minAvailable: 1, selector: { matchLabels: { app: "guarded" } } },
    });
    const eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "e1", namespace: ns } };
    expect((await status(c.create(pods, eviction, {}, "eviction"))).code).toBe(429);
    // One disruption allowed: the first eviction spends it, the second is refused.
    const pdbs = ref("poddisruptionbudgets", "policy");
    const pdb = await c.get<KubeObject>(pdbs, "pdb");
    await c.update(
      pdbs,
      {
        ...pdb,
        status: { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, observedGeneration: 1 },
      },
      {},
      "status",
    );
    await c.create(pods, pod("e2", { app: "guarded" }));
    await c.create(pods, eviction, {}, "eviction");
    expect((await status(c.get(pods, "e1"))).code).toBe(404);
    expect((await c.get<KubeObject>(pdbs, "pdb")).status.disruptionsAllowed).toBe(0);
    const second = { ...eviction, metadata: { name: "e2", namespace: ns } };
    expect((await status(c.create(pods, second, {}, "eviction"))).code).toBe(429);
    await c.delete(pdbs, "pdb");
    await c.create(pods, second, {}, "eviction");
    expect((await status(c.get(pods, "e2"))).code).toBe(404);
  });

  test("a PodDisruptionBudget selecting by matchExpressions guards its pods too", async () => {
    await c.create(pods, pod("x1", { tier: "db" }));
    await c.create(ref("poddisruptionbudgets", "policy"), {
      metadata: { name: "by-expression" },
      spec: { maxUnavailable: 0, selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] } },
    });
    const eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "x1", namespace: ns } };
    expect((await status(c.create(pods, eviction, {}, "eviction"))).code).toBe(429);
    await c.delete(ref("poddisruptionbudgets", "policy"), "by-expression");
  });
});

describe("generic verbs", () => {
  const deployments = ref("deployments", "apps");
  test("scale subresource reads and writes spec.replicas", async () => {
    await c.create(deployments, {
      metadata: { name: "d" },
      spec: {
        selector: { matchLabels: { a: "b" } },
        template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i" }] } },
      },
    });
    const scale = await c.get<KubeObject>(deployments, "d", "scale");
    expect(scale).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      spec: { replicas: 1 },
      status: { selector: "a=b" },
    });
    await c.update(deployments, { ...scale, spec: { replicas: 4 } }, {}, "scale");
    const d = await c.get<KubeObject>(deployments, "d");
    expect(d.spec.replicas).toBe(4);
    expect(d.metadata?.generation).toBe(2);
  });

  test("status writes change only status; main writes keep status", async () => {
    const d = await c.get<KubeObject>(deployments, "d");
    await c.update(deployments, { ...d, spec: { ...d.spec, replicas: 9 }, status: { replicas: 7 } }, {}, "status");
    const after = await c.get<KubeObject>(deployments, "d");
    expect(after.status.replicas).toBe(7);
    expect(after.spec.replicas).toBe(4);
    await c.update(deployments, { ...after, status: { replicas: 1 } });
    expect((await c.get<KubeObject>(deployments, "d")).status.replicas).toBe(7);
  });

  test("dryRun=All validates and answers without writing", async () => {
    const before = await c.list(configmaps);
    const dry = await c.create<KubeObject>(configmaps, { metadata: { name: "dry" } }, { dryRun: true });
    expect(dry.metadata?.name).toBe("dry");
    expect((await status(c.get(configmaps, "dry"))).code).toBe(404);
    expect((await c.list(configmaps)).items.length).toBe(before.items.length);
  });

  test("deletecollection with a label selector, and list pagination at one revision", async () => {
    for (let i = 0; i < 5; i++)
      await c.create(configmaps, { metadata: { name: `dc${i}`, labels: { batch: i < 3 ? "x" : "y" } } });
    const page1 = await c.list(configmaps, { limit: 2, labelSelector: "batch" });
    expect(page1.items.length).toBe(2);
    expect(page1.metadata.continue).toBeString();
    await c.create(configmaps, { metadata: { name: "dc9", labels: { batch: "x" } } });
    const page2 = await c.list(configmaps, { limit: 10, labelSelector: "batch", continue: page1.metadata.continue });
    // The new object is after the first page's revision, so the continued list does not show it.
    expect(page2.items.map((i) => i.metadata?.name)).toEqual(["dc2", "dc3", "dc4"]);
    const res = await c.request("DELETE", `/api/v1/namespaces/${ns}/configmaps?labelSelector=batch%3Dx`);
    expect(res.status).toBe(200);
    const left = await c.list(configmaps, { labelSelector: "batch" });
    expect(left.items.map((i) => i.metadata?.name).sort()).toEqual(["dc3", "dc4"]);
  });

  test("YAML bodies are accepted; an immutable ConfigMap keeps its data", async () => {
    const res = await c.request("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\nimmutable: true\ndata:\n  a: '1'\n",
      headers: { "content-type": "application/yaml" },
    });
    expect(res.status).toBe(201);
    const changed = await status(c.patch(configmaps, "frozen", { data: { a: "2" } }, "merge"));
    expect(changed.code).toBe(422);
    expect(changed.message).toContain("data: Forbidden: field is immutable when `immutable` is set");
    expect((await status(c.patch(configmaps, "frozen", { metadata: { labels: { ok: "yes" } } }, "merge"))).code).toBe(
      200,
    );
  });

  test("bodies over 3 MiB get 413 and malformed JSON 400, writing nothing", async () => {
    const big = await c.request("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      body: JSON.stringify({ metadata: { name: "big" }, data: { a: "x".repeat(3 * 1024 * 1024 + 1) } }),
      headers: { "content-type": "application/json" },
    });
    expect(big.status).toBe(413);
    const broken = await c.request("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      body: '{"metadata":',
      headers: { "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect((await broken.json()).kind).toBe("Status");
    expect((await status(c.get(configmaps, "big"))).code).toBe(404);
  });

  test("Table output has kubectl's pod columns, wide ones at priority 1", async () => {
    await c.create(pods, pod("t1"));
    const res = await c.request("GET", `/api/v1/namespaces/${ns}/pods`, {
      headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    });
    const table = await res.json();
    expect(table.kind).toBe("Table");
    const cols = table.columnDefinitions.map((d: { name: string; priority: number }) => `${d.name}:${d.priority}`);
    expect(cols).toEqual([
      "Name:0",
      "Ready:0",
      "Status:0",
      "Restarts:0",
      "Age:0",
      "IP:1",
      "Node:1",
      "Nominated Node:1",
      "Readiness Gates:1",
    ]);
    const row = table.rows.find((r: { cells: string[] }) => r.cells[0] === "t1");
    expect(row.cells.slice(0, 4)).toEqual(["t1", "0/1", "Pending", "0"]);
    expect(row.object.kind).toBe("PartialObjectMetadata");
  });
});

describe("watch", () => {
  test("selector watches turn objects leaving the selection into DELETED; timeoutSeconds ends the stream", async () => {
    const events: WatchEvent[] = [];
    const list = await c.list(configmaps);
    const handle = c.watch(
      configmaps,
      { labelSelector: "team=a", resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 2 },
      (e) => events.push(e),
    );
    await c.create(configmaps, { metadata: { name: "w1", labels: { team: "a" } } });
    await c.patch(configmaps, "w1", { metadata: { labels: { team: "b" } } }, "merge");
    await c.patch(configmaps, "w1", { metadata: { labels: { team: "a" } } }, "merge");
    await c.delete(configmaps, "w1");
    await waitFor(() => events.length >= 4, 10_000, "four watch events");
    expect(events.map((e) => e.type)).toEqual(["ADDED", "DELETED", "ADDED", "DELETED"]);
    await handle.done;
  });

  test("no resourceVersion: the current state arrives first as ADDED", async () => {
    await c.create(configmaps, { metadata: { name: "pre", labels: { x: "1" } } });
    const events: WatchEvent[] = [];
    const handle = c.watch(configmaps, { labelSelector: "x=1" }, (e) => events.push(e));
    await waitFor(() => events.length >= 1, 10_000, "initial ADDED");
    expect(events[0]).toMatchObject({ type: "ADDED", object: { metadata: { name: "pre" } } });
    handle.stop();
  });
});
