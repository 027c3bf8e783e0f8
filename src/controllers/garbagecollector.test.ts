import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../api/types.ts";
import { deployments, pods, replicasets } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startGarbageCollector } from "./garbagecollector.ts";
import { FakeCluster } from "./testing/fake.ts";

function owned(name: string, owner?: KubeObject, kind = "ReplicaSet", apiVersion = "apps/v1"): KubeObject {
  return {
    metadata: {
      name,
      namespace: "default",
      ownerReferences: owner
        ? [
            {
              apiVersion,
              kind,
              name: owner.metadata?.name ?? "",
              uid: owner.metadata?.uid ?? "",
              controller: true,
              blockOwnerDeletion: true,
            },
          ]
        : undefined,
    },
  };
}

function setup() {
  const cluster = new FakeCluster();
  const gc = startGarbageCollector(cluster.context());
  gc.run();
  const names = (ref: typeof pods) =>
    cluster
      .objects(ref)
      .map((o) => o.metadata?.name)
      .sort();
  return { cluster, gc, names };
}

describe("GarbageCollector", () => {
  test("Background: dependents of a deleted owner are deleted; dangling references too", async () => {
    const { cluster, gc, names } = setup();
    const rs = cluster.put(replicasets, owned("rs"));
    cluster.put(pods, owned("a", rs));
    cluster.put(pods, owned("b", rs));
    cluster.put(pods, owned("dangling", { metadata: { name: "gone", uid: "no-such-uid" } }));
    cluster.put(pods, owned("free"));
    await waitFor(() => names(pods).join() === "a,b,free", "dangling pod deleted");
    await cluster.client.delete({ ...replicasets, namespace: "default" }, "rs", { propagationPolicy: "Background" });
    await waitFor(() => names(pods).join() === "free", "dependents deleted");
    await gc.stop();
  });

  test("Foreground: the owner waits with foregroundDeletion until its dependents are gone", async () => {
    const { cluster, gc, names } = setup();
    const d = cluster.put(deployments, owned("d"));
    const rs = cluster.put(replicasets, owned("rs", d, "Deployment"));
    cluster.put(pods, owned("p", rs));
    await cluster.client.delete({ ...deployments, namespace: "default" }, "d", { propagationPolicy: "Foreground" });
    expect(cluster.objects(deployments)[0].metadata?.finalizers).toContain("foregroundDeletion");
    await waitFor(() => cluster.objects(deployments).length === 0, "owner deleted last");
    expect(names(pods)).toEqual([]);
    expect(names(replicasets)).toEqual([]);
    const order = cluster.actions.filter((a) => a.startsWith("delete") || a.startsWith("patch"));
    expect(order.indexOf("delete pods default/p")).toBeLessThan(order.indexOf("patch deployments default/d"));
    await gc.stop();
  });

  test("Orphan: dependents lose the owner reference and stay", async () => {
    const { cluster, gc, names } = setup();
    const rs = cluster.put(replicasets, owned("rs"));
    cluster.put(pods, owned("a", rs));
    await cluster.client.delete({ ...replicasets, namespace: "default" }, "rs", { propagationPolicy: "Orphan" });
    await waitFor(() => cluster.objects(replicasets).length === 0, "owner deleted");
    expect(names(pods)).toEqual(["a"]);
    expect(cluster.objects(pods)[0].metadata?.ownerReferences).toBeUndefined();
    await gc.stop();
  });
});
