import { describe, expect, test } from "bun:test";
import type { Pod, ReplicaSet } from "../api/types.ts";
import { pods, replicasets } from "../client/refs.ts";
import { waitFor as until } from "../client/testing.ts";
import { rfc3339 } from "./clock.ts";
import { replicationControllerManager, startReplicaSetController } from "./replicaset.ts";
import { FakeCluster } from "./testing/fake.ts";

function rs(replicas: number, minReadySeconds = 0): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "web", namespace: "default" },
    spec: {
      replicas,
      minReadySeconds,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      },
    },
  };
}

function markReady(cluster: FakeCluster, pod: Pod) {
  cluster.put(pods, {
    ...pod,
    status: {
      phase: "Running",
      conditions: [
        {
          type: "Ready",
          status: "True",
          lastTransitionTime: rfc3339(cluster.clock.now()),
        },
      ],
    },
  });
}

describe("ReplicaSetController", () => {
  test("creates, scales down and owns pods; status counts ready and available", async () => {
    const cluster = new FakeCluster();
    const c = startReplicaSetController(cluster.context());
    c.run();
    cluster.put(replicasets, rs(3, 10));
    await until(() => cluster.objects<Pod>(pods, "default").length === 3, "3 pods");
    const created = cluster.objects<Pod>(pods, "default");
    expect(created[0].metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "ReplicaSet",
      name: "web",
      controller: true,
    });
    expect(created[0].metadata?.generateName).toBe("web-");

    for (const p of created) markReady(cluster, p);
    await until(() => cluster.objects<ReplicaSet>(replicasets)[0].status?.readyReplicas === 3, "ready 3");
    expect(cluster.objects<ReplicaSet>(replicasets)[0].status?.availableReplicas).toBe(0);
    cluster.clock.step(11_000); // minReadySeconds passed: the requeue armed on the clock fires
    await until(() => cluster.objects<ReplicaSet>(replicasets)[0].status?.availableReplicas === 3, "available 3");

    const current = cluster.objects<ReplicaSet>(replicasets)[0];
    cluster.put(replicasets, {
      ...current,
      spec: { ...current.spec, replicas: 1 } as ReplicaSet["spec"],
    });
    await until(() => cluster.objects<Pod>(pods, "default").length === 1, "1 pod");
    await until(() => cluster.objects<ReplicaSet>(replicasets)[0].status?.replicas === 1, "status 1");
    await c.stop();
  });

  test("adopts a matching orphan instead of creating a pod for it", async () => {
    const cluster = new FakeCluster();
    cluster.put(pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "orphan",
        namespace: "default",
        labels: { app: "web" },
      },
      spec: { containers: [] },
    });
    const c = startReplicaSetController(cluster.context());
    c.run();
    cluster.put(replicasets, rs(2));
    await until(() => cluster.objects<Pod>(pods, "default").length === 2, "2 pods");
    await until(
      () =>
        !!cluster.objects<Pod>(pods, "default").find((p) => p.metadata?.name === "orphan")?.metadata?.ownerReferences,
      "adopted",
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(cluster.objects<Pod>(pods, "default").length).toBe(2);
    await c.stop();
  });
});

test("ReplicationManager keeps an RC's replicas with its map selector", async () => {
  const cluster = new FakeCluster();
  const c = startReplicaSetController(cluster.context(), replicationControllerManager);
  c.run();
  cluster.put(replicationControllerManager.ref, {
    apiVersion: "v1",
    kind: "ReplicationController",
    metadata: { name: "legacy", namespace: "default" },
    spec: {
      replicas: 2,
      selector: { app: "legacy" },
      template: { metadata: { labels: { app: "legacy" } }, spec: { containers: [] } },
    },
  });
  await until(() => cluster.objects<Pod>(pods).length === 2, "2 pods");
  expect(cluster.objects<Pod>(pods)[0].metadata?.ownerReferences?.[0].kind).toBe("ReplicationController");
  await until(() => cluster.objects(replicationControllerManager.ref)[0].status?.replicas === 2, "status");
  await c.stop();
});
