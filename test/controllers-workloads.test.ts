// Controllers against a real k3lite API server with the real kubectl: scaling, cascading deletion (and
// --cascade=orphan), namespace deletion and the per-namespace defaults.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KubeObject, Pod, ReplicaSet } from "../src/api/types.ts";
import { configmaps, inNamespace, pods, replicasets, serviceaccounts } from "../src/client/refs.ts";
import { waitFor } from "../src/client/testing.ts";
import type { KubeClient } from "../src/client/types.ts";
import type { RunningControllers } from "../src/controllers/index.ts";
import { startTestControllers, startTestServer, type TestServer } from "../src/controllers/testing/server.ts";

let k: TestServer;
let client: KubeClient;
let controllers: RunningControllers;

beforeAll(async () => {
  k = await startTestServer();
  client = k.client;
  controllers = startTestControllers(k, {
    rootCA: "-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n",
  });
  await controllers.ready;
}, 90_000);

afterAll(async () => {
  await controllers?.stop();
  await k?.stop();
});

const kubectl = (...args: string[]) => k.kubectl(...args);

const count = async (ref: typeof pods, ns: string, selector?: string) =>
  (await client.list<KubeObject>(inNamespace(ref, ns), { labelSelector: selector })).items.filter(
    (o) => !o.metadata?.deletionTimestamp,
  ).length;

test("kubectl scale 3 → 10 → 0 creates and removes pods", async () => {
  await kubectl("create", "deployment", "scale", "--image=nginx", "--replicas=3");
  await waitFor(async () => (await count(pods, "default", "app=scale")) === 3, "3 pods", 30_000);
  await kubectl("scale", "deployment/scale", "--replicas=10");
  await waitFor(async () => (await count(pods, "default", "app=scale")) === 10, "10 pods", 30_000);
  await kubectl("scale", "deployment/scale", "--replicas=0");
  await waitFor(async () => (await count(pods, "default", "app=scale")) === 0, "0 pods", 30_000);
  const rs = (await client.list<ReplicaSet>(inNamespace(replicasets, "default"), { labelSelector: "app=scale" })).items;
  expect(rs).toHaveLength(1);
  expect(rs[0].metadata?.annotations?.["deployment.kubernetes.io/revision"]).toBe("1");
}, 90_000);

test("deleting a Deployment removes its ReplicaSets and pods; --cascade=orphan keeps them", async () => {
  await kubectl("create", "deployment", "gone", "--image=nginx", "--replicas=2");
  await kubectl("create", "deployment", "kept", "--image=nginx", "--replicas=2");
  await waitFor(async () => (await count(pods, "default", "app in (gone,kept)")) === 4, "4 pods", 30_000);
  await kubectl("delete", "deployment", "gone");
  await waitFor(async () => (await count(replicasets, "default", "app=gone")) === 0, "ReplicaSet collected", 30_000);
  await waitFor(async () => (await count(pods, "default", "app=gone")) === 0, "pods collected", 30_000);

  await kubectl("delete", "deployment", "kept", "--cascade=orphan");
  await waitFor(
    async () => !(await kubectl("get", "deployments", "-o", "name")).includes("kept"),
    "deployment gone",
    30_000,
  );
  const rs = (await client.list<ReplicaSet>(inNamespace(replicasets, "default"), { labelSelector: "app=kept" })).items;
  expect(rs).toHaveLength(1);
  expect(rs[0].metadata?.ownerReferences ?? []).toHaveLength(0);
  expect(await count(pods, "default", "app=kept")).toBe(2);
}, 90_000);

test("kubectl delete --cascade=foreground removes the dependents before the Deployment", async () => {
  await kubectl("create", "deployment", "fg", "--image=nginx", "--replicas=2");
  await waitFor(async () => (await count(pods, "default", "app=fg")) === 2, "2 pods", 30_000);
  await kubectl("delete", "deployment", "fg", "--cascade=foreground", "--wait=true", "--timeout=60s");
  expect(await count(replicasets, "default", "app=fg")).toBe(0);
  expect(await count(pods, "default", "app=fg")).toBe(0);
}, 90_000);

test("a new namespace gets default ServiceAccount and kube-root-ca.crt; deleting it removes its content", async () => {
  await kubectl("create", "namespace", "scratch");
  await waitFor(async () => (await count(serviceaccounts, "scratch")) === 1, "default SA", 30_000);
  await waitFor(async () => (await count(configmaps, "scratch")) === 1, "kube-root-ca.crt", 30_000);
  await kubectl("-n", "scratch", "create", "deployment", "app", "--image=nginx", "--replicas=2");
  await waitFor(async () => (await count(pods, "scratch")) === 2, "pods in scratch", 30_000);
  await kubectl("delete", "namespace", "scratch", "--wait=true", "--timeout=60s");
  const left = await client.list<Pod>(inNamespace(pods, "scratch"));
  expect(left.items).toHaveLength(0);
}, 120_000);

test("custom resources take part in garbage collection", async () => {
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  };
  await client.create({ group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" }, crd);
  const widgets = { group: "example.com", version: "v1", resource: "widgets", namespace: "default" };
  const owner = await waitFor(
    () =>
      client.create<KubeObject>(widgets, {
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "parent" },
      }),
    "CRD served",
    30_000,
  );
  const ref = { apiVersion: "example.com/v1", kind: "Widget", name: "parent", uid: owner.metadata?.uid ?? "" };
  await client.create(widgets, {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "child", ownerReferences: [ref] },
  });
  await client.create(inNamespace(configmaps, "default"), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "child-config", ownerReferences: [ref] },
  });
  await kubectl("delete", "widget", "parent");
  await waitFor(
    async () => !(await kubectl("get", "configmaps", "-o", "name")).includes("child-config"),
    "owned ConfigMap collected",
    30_000,
  );
  await waitFor(async () => (await client.list(widgets)).items.length === 0, "owned Widget collected", 30_000);
}, 90_000);
