import { expect, test } from "bun:test";
import type { PersistentVolumeClaim, Pod } from "../api/types.ts";
import { persistentvolumeclaims, pods } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startEphemeralVolumeController } from "./ephemeral.ts";
import { FakeCluster } from "./testing/fake.ts";

test("a generic ephemeral volume gets its claim, owned by the pod", async () => {
  const cluster = new FakeCluster();
  const c = startEphemeralVolumeController(cluster.context());
  c.run();
  const pod = cluster.put<Pod>(pods, {
    metadata: { name: "app", namespace: "default" },
    spec: {
      containers: [],
      volumes: [
        {
          name: "scratch",
          ephemeral: {
            volumeClaimTemplate: {
              spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
            },
          },
        },
      ],
    },
  });
  await waitFor(() => cluster.objects(persistentvolumeclaims).length === 1, "claim");
  const pvc = cluster.objects<PersistentVolumeClaim>(persistentvolumeclaims)[0];
  expect(pvc.metadata?.name).toBe("app-scratch");
  expect(pvc.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "Pod", uid: pod.metadata?.uid, controller: true });
  await c.stop();
});
