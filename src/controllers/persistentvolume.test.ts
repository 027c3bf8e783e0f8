import { expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PersistentVolume, PersistentVolumeClaim } from "../api/types.ts";
import { persistentvolumeclaims, persistentvolumes, storageclasses } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startLocalPathProvisioner } from "./localpath.ts";
import { startPersistentVolumeController } from "./persistentvolume.ts";
import { FakeCluster } from "./testing/fake.ts";

function claim(name: string, extra: Partial<PersistentVolumeClaim["spec"]> = {}): PersistentVolumeClaim {
  return {
    metadata: { name, namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...extra },
  };
}

test("local-path: default class, provisioning on the selected node, binding, and Delete reclaim", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "k3lite-pv-"));
  const cluster = new FakeCluster();
  const ctx = cluster.context();
  const controllers = [startPersistentVolumeController(ctx), startLocalPathProvisioner(ctx, dataDir)];
  for (const c of controllers) c.run();
  await waitFor(() => cluster.objects(storageclasses).length === 1, "local-path StorageClass");
  const pvc = () => cluster.objects<PersistentVolumeClaim>(persistentvolumeclaims)[0];

  cluster.put(persistentvolumeclaims, claim("data"));
  await waitFor(() => pvc().spec?.storageClassName === "local-path", "default class assigned");
  await waitFor(() => pvc().status?.phase === "Pending", "pending until a node is chosen");
  expect(cluster.objects(persistentvolumes)).toHaveLength(0);

  const cur = pvc();
  cluster.put(persistentvolumeclaims, {
    ...cur,
    metadata: { ...cur.metadata, annotations: { "volume.kubernetes.io/selected-node": "n1" } },
  });
  await waitFor(() => pvc().status?.phase === "Bound", "bound");
  const pv = cluster.objects<PersistentVolume>(persistentvolumes)[0];
  expect(pvc().spec?.volumeName).toBe(pv.metadata?.name);
  expect(pv.status?.phase).toBe("Bound");
  expect(pv.spec?.hostPath?.path).toBe(join(dataDir, "storage", `${pv.metadata?.name}_default_data`));
  expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0].matchExpressions?.[0].values).toEqual(["n1"]);

  mkdirSync(pv.spec?.hostPath?.path ?? "", { recursive: true }); // as the kubelet would
  await cluster.client.delete({ ...persistentvolumeclaims, namespace: "default" }, "data");
  await waitFor(() => cluster.objects(persistentvolumes).length === 0, "volume deleted");
  expect(existsSync(pv.spec?.hostPath?.path ?? "")).toBe(false);
  await Promise.all(controllers.map((c) => c.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

test("a claim binds the smallest matching Available volume", async () => {
  const cluster = new FakeCluster();
  const c = startPersistentVolumeController(cluster.context());
  c.run();
  for (const [name, size] of [
    ["big", "10Gi"],
    ["small", "2Gi"],
    ["tiny", "500Mi"],
  ]) {
    cluster.put<PersistentVolume>(persistentvolumes, {
      metadata: { name },
      spec: {
        capacity: { storage: size },
        accessModes: ["ReadWriteOnce"],
        storageClassName: "manual",
        hostPath: { path: `/tmp/${name}` },
      },
    });
  }
  cluster.put(persistentvolumeclaims, claim("c", { storageClassName: "manual" }));
  await waitFor(
    () => cluster.objects<PersistentVolumeClaim>(persistentvolumeclaims)[0].status?.phase === "Bound",
    "bound",
  );
  expect(cluster.objects<PersistentVolumeClaim>(persistentvolumeclaims)[0].spec?.volumeName).toBe("small");
  await waitFor(
    () =>
      cluster.objects<PersistentVolume>(persistentvolumes).filter((v) => v.status?.phase === "Available").length === 2,
    "others available",
  );
  await c.stop();
});
