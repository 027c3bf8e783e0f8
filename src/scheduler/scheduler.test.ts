import { afterEach, describe, expect, test } from "bun:test";
import type { Event, Pod } from "../api/types.ts";
import { createFakeCluster, type FakeCluster } from "../client/fake.ts";
import {
  events,
  inNamespace,
  nodes,
  persistentvolumeclaims,
  poddisruptionbudgets,
  pods,
  priorityclasses,
  storageclasses,
} from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { SELECTED_NODE_ANNOTATION } from "./plugins/volumebinding.ts";
import { type SchedulerHandle, startScheduler } from "./scheduler.ts";
import { makeNode, makePod } from "./testing.ts";

let scheduler: SchedulerHandle | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

const podsDefault = inNamespace(pods, "default");
const nodeOf = (fake: FakeCluster, name: string) =>
  fake.get("/pods", "default", name)?.spec?.nodeName as string | undefined;
const eventsFor = async (fake: FakeCluster, name: string, reason: string) =>
  (await fake.client.list<Event>(inNamespace(events, "default"))).items.filter(
    (e) => e.involvedObject.name === name && e.reason === reason,
  );

async function start(fake: FakeCluster) {
  scheduler = startScheduler(fake.client, { initialBackoffMs: 10, maxBackoffMs: 50 });
  await scheduler.ready;
}

describe("scheduler", () => {
  test("binds pending pods through pods/binding, spreads them, and records Scheduled", async () => {
    const fake = createFakeCluster();
    for (const n of ["n1", "n2", "n3"]) await fake.client.create(nodes, makeNode(n));
    await start(fake);
    for (let i = 0; i < 9; i++) await fake.client.create(podsDefault, makePod(`p${i}`, { cpu: "100m" }));
    await waitFor(() => [...Array(9).keys()].every((i) => nodeOf(fake, `p${i}`)), "all pods bound");
    const perNode = new Map<string, number>();
    for (let i = 0; i < 9; i++)
      perNode.set(nodeOf(fake, `p${i}`) as string, (perNode.get(nodeOf(fake, `p${i}`) as string) ?? 0) + 1);
    expect([...perNode.values()]).toEqual([3, 3, 3]);
    expect(fake.requests.filter((r) => r.includes("/binding")).length).toBe(9);
    const scheduled = await waitFor(async () => (await eventsFor(fake, "p0", "Scheduled"))[0], "Scheduled event");
    expect(scheduled.message).toBe(`Successfully assigned default/p0 to ${nodeOf(fake, "p0")}`);
  });

  test("ignores pods for another scheduler", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("n1"));
    await start(fake);
    await fake.client.create(podsDefault, makePod("mine"));
    await fake.client.create(podsDefault, makePod("theirs", { spec: { schedulerName: "other" } }));
    await waitFor(() => nodeOf(fake, "mine"), "mine bound");
    expect(nodeOf(fake, "theirs")).toBeUndefined();
  });

  test("an unschedulable pod gets PodScheduled=False with upstream's message, and is retried when a node joins", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("small", { cpu: "1" }));
    await fake.client.create(nodes, makeNode("t1", { taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }));
    await fake.client.create(nodes, makeNode("t2", { taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }));
    await start(fake);
    await fake.client.create(podsDefault, makePod("big", { cpu: "2" }));
    const expected =
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.";
    const condition = await waitFor(
      () => (fake.get("/pods", "default", "big") as Pod).status?.conditions?.find((c) => c.type === "PodScheduled"),
      "PodScheduled condition",
    );
    expect(condition).toMatchObject({ status: "False", reason: "Unschedulable", message: expected });
    const failed = await waitFor(
      async () => (await eventsFor(fake, "big", "FailedScheduling"))[0],
      "FailedScheduling event",
    );
    expect(failed).toMatchObject({ type: "Warning", message: expected, source: { component: "default-scheduler" } });

    const before = fake.requests.length;
    await Bun.sleep(200); // no busy loop: nothing changed, so nothing is retried
    expect(fake.requests.length - before).toBeLessThan(5);

    await fake.client.create(nodes, makeNode("large", { cpu: "8" }));
    await waitFor(() => nodeOf(fake, "big") === "large", "big bound to the new node");
  });

  test("a high-priority pod preempts lower-priority pods and takes their node", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("only", { cpu: "2" }));
    await fake.client.create(priorityclasses, {
      apiVersion: "scheduling.k8s.io/v1",
      kind: "PriorityClass",
      metadata: { name: "high" },
      value: 1000,
    });
    await start(fake);
    await fake.client.create(podsDefault, makePod("low-a", { cpu: "800m" }));
    await fake.client.create(podsDefault, makePod("low-b", { cpu: "800m" }));
    await waitFor(() => nodeOf(fake, "low-a") && nodeOf(fake, "low-b"), "low pods bound");
    await fake.client.create(podsDefault, makePod("vip", { cpu: "1", spec: { priorityClassName: "high" } }));
    await waitFor(() => nodeOf(fake, "vip") === "only", "vip bound after preemption");
    const remaining = ["low-a", "low-b"].filter((n) => fake.get("/pods", "default", n));
    expect(remaining.length).toBe(1); // one victim is enough
    const preempted = (await fake.client.list<Event>(inNamespace(events, "default"))).items.filter(
      (e) => e.reason === "Preempted",
    );
    expect(preempted.length).toBe(1);
    expect(preempted[0]?.message).toBe(
      "Preempted by pod uid-vip on node only".replace(
        "uid-vip",
        fake.get("/pods", "default", "vip")?.metadata?.uid as string,
      ),
    );
  });

  test("preemptionPolicy Never is reported, not acted on", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("only", { cpu: "1" }));
    await start(fake);
    await fake.client.create(podsDefault, makePod("low", { cpu: "800m" }));
    await waitFor(() => nodeOf(fake, "low"), "low bound");
    await fake.client.create(
      podsDefault,
      makePod("polite", { cpu: "800m", priority: 100, spec: { preemptionPolicy: "Never" } }),
    );
    const condition = await waitFor(
      () => (fake.get("/pods", "default", "polite") as Pod).status?.conditions?.find((c) => c.type === "PodScheduled"),
      "PodScheduled condition",
    );
    expect(condition?.message).toBe(
      "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
    );
    expect(fake.get("/pods", "default", "low")).toBeDefined();
  });
});

describe("scheduler volume binding", () => {
  const claim = (name: string, storageClassName: string) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: { storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  });
  const withClaim = (name: string, claimName: string) =>
    makePod(name, { spec: { volumes: [{ name: "data", persistentVolumeClaim: { claimName } }] } });

  test("a WaitForFirstConsumer claim is provisioned for the chosen node before the pod binds", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("n1"));
    await fake.client.create(storageclasses, {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "local-path" },
      provisioner: "rancher.io/local-path",
      volumeBindingMode: "WaitForFirstConsumer",
    });
    await fake.client.create(inNamespace(persistentvolumeclaims, "default"), claim("data-web-0", "local-path"));
    await start(fake);
    await fake.client.create(podsDefault, withClaim("web-0", "data-web-0"));
    const selected = await waitFor(
      () =>
        fake.get("/persistentvolumeclaims", "default", "data-web-0")?.metadata?.annotations?.[SELECTED_NODE_ANNOTATION],
      "selected-node annotation",
    );
    expect(selected).toBe("n1");
    expect(nodeOf(fake, "web-0")).toBeUndefined(); // waits for the claim to be bound
    // The provisioner's part: a volume for that node, bound to the claim.
    await fake.client.patch(
      inNamespace(persistentvolumeclaims, "default"),
      "data-web-0",
      { spec: { volumeName: "pv-1" } },
      "merge",
    );
    await fake.client.patch(
      inNamespace(persistentvolumeclaims, "default"),
      "data-web-0",
      { status: { phase: "Bound" } },
      "merge",
      undefined,
      "status",
    );
    await waitFor(() => nodeOf(fake, "web-0") === "n1", "web-0 bound");
  });

  test("missing and unbound immediate claims keep the pod pending with upstream's reasons", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("n1"));
    await fake.client.create(inNamespace(persistentvolumeclaims, "default"), claim("imm", "standard"));
    await start(fake);
    await fake.client.create(podsDefault, withClaim("a", "missing"));
    await fake.client.create(podsDefault, withClaim("b", "imm"));
    const message = (name: string) =>
      (fake.get("/pods", "default", name) as Pod | undefined)?.status?.conditions?.find(
        (c) => c.type === "PodScheduled",
      )?.message;
    await waitFor(() => message("a") && message("b"), "both reported");
    expect(message("a")).toBe(
      '0/1 nodes are available: persistentvolumeclaim "missing" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    expect(message("b")).toBe(
      "0/1 nodes are available: 1 pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
    );
  });
});

describe("scheduling gates", () => {
  test("a gated pod waits with SchedulingGated and is scheduled once its gates are removed", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("n1"));
    await start(fake);
    await fake.client.create(
      podsDefault,
      makePod("gated", { spec: { schedulingGates: [{ name: "example.com/wait" }] } }),
    );
    const condition = await waitFor(
      () => (fake.get("/pods", "default", "gated") as Pod).status?.conditions?.find((c) => c.type === "PodScheduled"),
      "SchedulingGated condition",
    );
    expect(condition?.reason).toBe("SchedulingGated");
    expect(nodeOf(fake, "gated")).toBeUndefined();
    await fake.client.patch(podsDefault, "gated", { spec: { schedulingGates: null } }, "merge");
    await waitFor(() => nodeOf(fake, "gated") === "n1", "gated pod bound");
  });
});

describe("preemption and PodDisruptionBudgets", () => {
  test("victims are taken where no PodDisruptionBudget is violated", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("guarded", { cpu: "1" }));
    await fake.client.create(nodes, makeNode("open", { cpu: "1" }));
    await fake.client.create(inNamespace(poddisruptionbudgets, "default"), {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "db" },
      spec: { minAvailable: 1, selector: { matchLabels: { app: "db" } } },
      status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 },
    });
    await start(fake);
    await fake.client.create(podsDefault, makePod("db-0", { cpu: "800m", labels: { app: "db" }, nodeName: "guarded" }));
    await fake.client.create(
      podsDefault,
      makePod("cache-0", { cpu: "800m", labels: { app: "cache" }, nodeName: "open" }),
    );
    await fake.client.create(podsDefault, makePod("vip", { cpu: "500m", priority: 100 }));
    await waitFor(() => nodeOf(fake, "vip") === "open", "vip bound where no budget is broken");
    expect(fake.get("/pods", "default", "db-0")).toBeDefined();
    expect(fake.get("/pods", "default", "cache-0")).toBeUndefined();
  });
});
