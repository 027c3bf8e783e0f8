import { expect, test } from "bun:test";
import type { Deployment, Lease, Pod, ReplicaSet } from "../api/types.ts";
import { createFakeCluster } from "../client/fake.ts";
import { deployments, inNamespace, leases, pods, replicasets } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startControllers } from "./index.ts";

test("startControllers runs the controllers over the client's shared informers", async () => {
  const cluster = createFakeCluster();
  const running = startControllers(cluster.client, { clusterCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16" });
  await running.ready;
  const d: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
    },
  };
  await cluster.client.create(inNamespace(deployments, "default"), d);
  await waitFor(async () => (await cluster.client.list<Pod>(inNamespace(pods, "default"))).items.length === 3);
  const rs = (await cluster.client.list<ReplicaSet>(inNamespace(replicasets, "default"))).items;
  expect(rs).toHaveLength(1);
  expect(rs[0].spec?.replicas).toBe(3);
  await running.stop();
});

test("with leader election only one controller manager runs; the other takes over when it stops", async () => {
  const cluster = createFakeCluster();
  const opts = (identity: string) => ({
    clusterCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    leaderElection: { identity },
  });
  const a = startControllers(cluster.client, opts("a"));
  await a.ready;
  const b = startControllers(cluster.client, opts("b"));
  let bLeads = false;
  b.ready.then(() => {
    bLeads = true;
  });
  const holder = async () =>
    (await cluster.client.get<Lease>(inNamespace(leases, "kube-system"), "k3lite-controller-manager")).spec
      ?.holderIdentity;
  expect(await holder()).toBe("a");
  await Bun.sleep(100);
  expect(bLeads).toBe(false);
  await a.stop();
  await waitFor(() => bLeads, "b leads after a released the lease");
  expect(await holder()).toBe("b");
  await b.stop();
}, 30_000);
