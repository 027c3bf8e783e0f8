import { expect, test } from "bun:test";
import type { ConfigMap, Namespace, ServiceAccount } from "../api/types.ts";
import { configmaps, namespaces, serviceaccounts } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startRootCACertPublisher } from "./rootcacertpublisher.ts";
import { startServiceAccountsController } from "./serviceaccounts.ts";
import { FakeCluster } from "./testing/fake.ts";

test("every active namespace gets a default ServiceAccount and kube-root-ca.crt, restored when deleted or changed", async () => {
  const cluster = new FakeCluster();
  const ctx = cluster.context();
  const controllers = [startServiceAccountsController(ctx), startRootCACertPublisher(ctx, "PEM")];
  for (const c of controllers) c.run();
  cluster.put<Namespace>(namespaces, { metadata: { name: "default" } });
  cluster.put<Namespace>(namespaces, {
    metadata: { name: "gone", deletionTimestamp: "2026-01-01T00:00:00Z" },
    status: { phase: "Terminating" },
  });
  await waitFor(() => cluster.objects(serviceaccounts, "default").length === 1, "default SA");
  await waitFor(() => cluster.objects<ConfigMap>(configmaps, "default")[0]?.data?.["ca.crt"] === "PEM", "root CA");

  await cluster.client.delete({ ...serviceaccounts, namespace: "default" }, "default");
  await waitFor(() => cluster.objects<ServiceAccount>(serviceaccounts, "default").length === 1, "SA recreated");
  const cm = cluster.objects<ConfigMap>(configmaps, "default")[0];
  cluster.put(configmaps, { ...cm, data: { "ca.crt": "forged" } });
  await waitFor(() => cluster.objects<ConfigMap>(configmaps, "default")[0]?.data?.["ca.crt"] === "PEM", "CA restored");
  expect(cluster.objects(serviceaccounts, "gone")).toHaveLength(0);
  await Promise.all(controllers.map((c) => c.stop()));
});
