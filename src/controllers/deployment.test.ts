import { describe, expect, test } from "bun:test";
import type { apps, Deployment, Pod, ReplicaSet } from "../api/types.ts";
import { deployments, events, pods, replicasets } from "../client/refs.ts";
import { waitFor as until } from "../client/testing.ts";
import { startDeploymentController } from "./deployment.ts";
import { DeploymentSyncer } from "./deployment_sync.ts";
import { REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from "./deployment_util.ts";
import { startReplicaSetController } from "./replicaset.ts";
import { FakeCluster } from "./testing/fake.ts";
import { fakeKubelet } from "./testing/kubelet.ts";

function deployment(image: string, replicas = 3, strategy?: apps.DeploymentStrategy): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: {
      replicas,
      strategy,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image }] } },
    },
  };
}

function setup() {
  const cluster = new FakeCluster();
  fakeKubelet(cluster);
  const ctx = cluster.context();
  const controllers = [startReplicaSetController(ctx), startDeploymentController(ctx)];
  for (const c of controllers) c.run();
  const get = () => cluster.objects<Deployment>(deployments)[0];
  const rsList = () => cluster.objects<ReplicaSet>(replicasets);
  const readyPods = () =>
    cluster
      .objects<Pod>(pods)
      .filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
  const stop = () => Promise.all(controllers.map((c) => c.stop()));
  const complete = () => {
    const d = get();
    return (
      d.status?.conditions?.find((c) => c.type === "Progressing")?.reason === "NewReplicaSetAvailable" &&
      d.status?.updatedReplicas === d.spec?.replicas &&
      d.status?.availableReplicas === d.spec?.replicas &&
      d.status?.replicas === d.spec?.replicas &&
      (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
    );
  };
  return { cluster, get, rsList, readyPods, stop, complete };
}

describe("DeploymentController", () => {
  test("rolls out, rolls forward within maxUnavailable, and rolls back to the old ReplicaSet", async () => {
    const { cluster, get, rsList, readyPods, stop, complete } = setup();
    cluster.put(
      deployments,
      deployment("nginx:1", 4, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }),
    );
    await until(complete, "first rollout complete");
    expect(rsList()).toHaveLength(1);
    expect(rsList()[0].metadata?.annotations?.[REVISION_ANNOTATION]).toBe("1");
    expect(get().metadata?.annotations?.[REVISION_ANNOTATION]).toBe("1");
    expect(rsList()[0].spec?.template?.metadata?.labels?.["pod-template-hash"]).toBeTruthy();

    let minReady = 4;
    let maxPods = 0;
    cluster.informer<Pod>(pods).addEventHandler({
      onUpdate: () => {
        minReady = Math.min(minReady, readyPods());
        maxPods = Math.max(maxPods, cluster.objects<Pod>(pods).length);
      },
    });
    const d = get();
    cluster.put(deployments, {
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: { ...d.spec, template: deployment("nginx:2").spec?.template } as Deployment["spec"],
    });
    await until(() => complete() && rsList().length === 2, "second rollout complete");
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(maxPods).toBeLessThanOrEqual(5);
    const [oldRS, newRS] = [...rsList()].sort(
      (a, b) =>
        Number(a.metadata?.annotations?.[REVISION_ANNOTATION]) - Number(b.metadata?.annotations?.[REVISION_ANNOTATION]),
    );
    expect(oldRS.spec?.replicas).toBe(0);
    expect(newRS.spec?.replicas).toBe(4);
    expect(get().metadata?.annotations?.[REVISION_ANNOTATION]).toBe("2");

    // `kubectl rollout undo` copies the old ReplicaSet's template back (minus pod-template-hash).
    const back = get();
    cluster.put(deployments, {
      ...back,
      metadata: { ...back.metadata, generation: 3 },
      spec: { ...back.spec, template: deployment("nginx:1").spec?.template } as Deployment["spec"],
    });
    await until(() => complete() && get().metadata?.annotations?.[REVISION_ANNOTATION] === "3", "rollback complete");
    expect(rsList()).toHaveLength(2);
    const restored = rsList().find((rs) => rs.metadata?.name === oldRS.metadata?.name);
    expect(restored?.metadata?.annotations?.[REVISION_ANNOTATION]).toBe("3");
    expect(restored?.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION]).toBe("1");
    expect(restored?.spec?.replicas).toBe(4);
    await stop();
  });

  test("Recreate scales old to zero before the new ReplicaSet; scaling and history limit", async () => {
    const { cluster, get, rsList, stop, complete } = setup();
    cluster.put(deployments, {
      ...deployment("a", 2, { type: "Recreate" }),
      spec: { ...deployment("a", 2, { type: "Recreate" }).spec, revisionHistoryLimit: 1 } as Deployment["spec"],
    });
    await until(complete, "first rollout");
    for (const [gen, image] of [
      [2, "b"],
      [3, "c"],
    ] as const) {
      const d = get();
      cluster.put(deployments, {
        ...d,
        metadata: { ...d.metadata, generation: gen },
        spec: { ...d.spec, template: deployment(image).spec?.template } as Deployment["spec"],
      });
      await until(
        () => complete() && get().metadata?.annotations?.[REVISION_ANNOTATION] === String(gen),
        `rollout ${gen}`,
      );
    }
    await until(() => rsList().length === 2, "history limited to 1 old ReplicaSet");
    const d = get();
    cluster.put(deployments, {
      ...d,
      metadata: { ...d.metadata, generation: 4 },
      spec: { ...d.spec, replicas: 5 } as Deployment["spec"],
    });
    await until(() => complete() && cluster.objects<Pod>(pods).length === 5, "scaled to 5");
    const recorded = cluster.objects(events);
    expect(
      recorded.some(
        (e) => e.reason === "ScalingReplicaSet" && /Scaled up replica set web-\w+ from 2 to 5/.test(e.message),
      ),
    ).toBe(true);
    await stop();
  });
});

test("scaling mid-rollout spreads the change over both ReplicaSets in proportion", async () => {
  const cluster = new FakeCluster();
  const syncer = new DeploymentSyncer(cluster.context(), () => {});
  const d = cluster.put(
    deployments,
    deployment("b", 20, { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } }),
  );
  const rs = (name: string, replicas: number, created: string): ReplicaSet =>
    cluster.put(replicasets, {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name,
        namespace: "default",
        creationTimestamp: created,
        annotations: { "deployment.kubernetes.io/desired-replicas": "10" },
      },
      spec: { replicas, selector: { matchLabels: { app: "web" } }, template: {} },
    });
  const oldRS = rs("old", 8, "2026-01-01T00:00:00Z");
  const newRS = rs("new", 5, "2026-01-01T00:01:00Z");
  await syncer.scale(d, newRS, [oldRS]);
  const size = (name: string) =>
    cluster.objects<ReplicaSet>(replicasets).find((r) => r.metadata?.name === name)?.spec?.replicas ?? 0;
  expect(size("old") + size("new")).toBe(23); // replicas + maxSurge
  expect(size("old")).toBeGreaterThan(8);
  expect(size("new")).toBeGreaterThan(5);
  expect(
    cluster
      .objects<ReplicaSet>(replicasets)
      .every((r) => r.metadata?.annotations?.["deployment.kubernetes.io/desired-replicas"] === "20"),
  ).toBe(true);
});
