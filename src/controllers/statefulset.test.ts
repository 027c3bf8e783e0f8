import { describe, expect, test } from "bun:test";
import type { PersistentVolumeClaim, Pod, StatefulSet } from "../api/types.ts";
import { persistentvolumeclaims, pods, statefulsets } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startStatefulSetController } from "./statefulset.ts";
import { FakeCluster } from "./testing/fake.ts";
import { fakeKubelet } from "./testing/kubelet.ts";

function web(replicas: number, image = "nginx:1", extra: Partial<StatefulSet["spec"]> = {}): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web", namespace: "default" },
    spec: {
      replicas,
      serviceName: "nginx",
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image }] } },
      volumeClaimTemplates: [
        {
          metadata: { name: "www" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        },
      ],
      ...extra,
    },
  };
}

function setup() {
  const cluster = new FakeCluster();
  fakeKubelet(cluster);
  const c = startStatefulSetController(cluster.context());
  c.run();
  const names = () =>
    cluster
      .objects<Pod>(pods)
      .map((p) => p.metadata?.name)
      .sort();
  const set = () => cluster.objects<StatefulSet>(statefulsets)[0];
  const update = (spec: Partial<StatefulSet["spec"]>) => {
    const s = set();
    cluster.put(statefulsets, {
      ...s,
      metadata: { ...s.metadata, generation: (s.metadata?.generation ?? 1) + 1 },
      spec: { ...s.spec, ...spec } as StatefulSet["spec"],
    });
  };
  const settled = () => {
    const s = set();
    return (
      s.status?.readyReplicas === s.spec?.replicas &&
      s.status?.currentRevision === s.status?.updateRevision &&
      s.status?.replicas === s.spec?.replicas
    );
  };
  return { cluster, c, names, set, update, settled };
}

describe("StatefulSetController", () => {
  test("creates web-0, web-1, web-2 in order with claims; scales down from the top", async () => {
    const { cluster, c, names, update, settled } = setup();
    cluster.put(statefulsets, web(3));
    await waitFor(() => names().length === 3 && settled(), "3 ready");
    const creates = cluster.actions.filter((a) => a.startsWith("create pods"));
    expect(creates).toEqual(["create pods default/web-0", "create pods default/web-1", "create pods default/web-2"]);
    const pod1 = cluster.objects<Pod>(pods).find((p) => p.metadata?.name === "web-1");
    expect(pod1?.spec?.hostname).toBe("web-1");
    expect(pod1?.spec?.subdomain).toBe("nginx");
    expect(pod1?.spec?.volumes).toEqual([{ name: "www", persistentVolumeClaim: { claimName: "www-web-1" } }]);
    expect(
      cluster
        .objects<PersistentVolumeClaim>(persistentvolumeclaims)
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(["www-web-0", "www-web-1", "www-web-2"]);

    update({ replicas: 1 });
    await waitFor(() => names().join() === "web-0", "scaled to 1");
    const deletes = cluster.actions.filter((a) => a.startsWith("delete pods"));
    expect(deletes).toEqual(["delete pods default/web-2", "delete pods default/web-1"]);
    expect(cluster.objects(persistentvolumeclaims)).toHaveLength(3); // claims outlive their pods
    await c.stop();
  });

  test("rolling update replaces pods from the highest ordinal and respects the partition", async () => {
    const { cluster, c, names, set, update, settled } = setup();
    cluster.put(statefulsets, web(3, "nginx:1", { podManagementPolicy: "Parallel" }));
    await waitFor(() => names().length === 3 && settled(), "3 ready");
    const first = set().status?.currentRevision;
    update({
      template: web(1, "nginx:2").spec?.template,
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } },
    });
    const image = (n: string) =>
      cluster.objects<Pod>(pods).find((p) => p.metadata?.name === n)?.spec?.containers[0].image;
    await waitFor(
      () => image("web-2") === "nginx:2" && image("web-1") === "nginx:2" && set().status?.updatedReplicas === 2,
      "partitioned update",
    );
    expect(image("web-0")).toBe("nginx:1");
    expect(set().status?.currentRevision).toBe(first);
    update({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } });
    await waitFor(() => image("web-0") === "nginx:2" && settled(), "update complete");
    expect(set().status?.currentRevision).not.toBe(first);
    const deletes = cluster.actions.filter((a) => a.startsWith("delete pods"));
    expect(deletes).toEqual(["delete pods default/web-2", "delete pods default/web-1", "delete pods default/web-0"]);
    await c.stop();
  });
});

test("persistentVolumeClaimRetentionPolicy: whenScaled=Delete removes the condemned claims; whenDeleted=Delete owns them", async () => {
  const { cluster, c, names, update } = setup();
  cluster.put(
    statefulsets,
    web(2, "nginx:1", { persistentVolumeClaimRetentionPolicy: { whenScaled: "Delete", whenDeleted: "Delete" } }),
  );
  const claimNames = () =>
    cluster
      .objects<PersistentVolumeClaim>(persistentvolumeclaims)
      .map((p) => p.metadata?.name)
      .sort()
      .join();
  await waitFor(() => names().length === 2 && claimNames() === "www-web-0,www-web-1", "2 pods with claims");
  const owner = cluster.objects<PersistentVolumeClaim>(persistentvolumeclaims)[0].metadata?.ownerReferences?.[0];
  expect(owner).toMatchObject({ kind: "StatefulSet", name: "web", controller: false });
  update({ replicas: 1 });
  await waitFor(() => names().join() === "web-0" && claimNames() === "www-web-0", "claim of web-1 deleted");
  await c.stop();
});
