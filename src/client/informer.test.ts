import { afterEach, describe, expect, test } from "bun:test";
import type { Pod } from "../api/types.ts";
import { createFakeCluster } from "./fake.ts";
import { createInformerFactory, type InformerFactory } from "./informer.ts";
import { inNamespace, nodes, pods } from "./refs.ts";
import { waitFor } from "./testing.ts";

const pod = (name: string, nodeName?: string, labels?: Record<string, string>): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", labels },
  spec: { containers: [{ name: "c", image: "busybox" }], nodeName },
});

let factory: InformerFactory | undefined;
afterEach(() => factory?.stop());

describe("informer", () => {
  test("lists, then follows watch events into an indexed cache with handlers", async () => {
    const fake = createFakeCluster();
    const podsDefault = inNamespace(pods, "default");
    await fake.client.create(podsDefault, pod("a", "n1"));
    await fake.client.create(podsDefault, pod("b", "n2"));
    factory = createInformerFactory(fake.client);
    const informer = factory.informer<Pod>(pods, {
      indexers: { nodeName: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) },
    });
    const seen: string[] = [];
    informer.addEventHandler({
      add: (p, initial) => seen.push(`add ${p.metadata?.name}${initial ? " (initial)" : ""}`),
      update: (o, n) => seen.push(`update ${n.metadata?.name} ${o.spec?.nodeName}->${n.spec?.nodeName}`),
      delete: (p) => seen.push(`delete ${p.metadata?.name}`),
    });
    factory.start();
    await factory.waitForSync();
    expect(informer.byIndex("nodeName", "n1").map((p) => p.metadata?.name)).toEqual(["a"]);

    await fake.client.create(podsDefault, pod("c", "n1"));
    await fake.client.patch(podsDefault, "b", { spec: { nodeName: "n1" } }, "merge");
    await fake.client.delete(podsDefault, "a");
    await waitFor(() => seen.length === 5, "events");
    expect(seen).toEqual(["add a (initial)", "add b (initial)", "add c", "update b n2->n1", "delete a"]);
    expect(
      informer
        .byIndex("nodeName", "n1")
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(["b", "c"]);
    expect(informer.byIndex("nodeName", "n2")).toEqual([]);
    expect(informer.getByName("default", "c")?.spec?.nodeName).toBe("n1");
    expect(informer.byIndex("namespace", "default").length).toBe(2);
  });

  test("re-watches from the last version when the stream ends, without a relist", async () => {
    const fake = createFakeCluster();
    factory = createInformerFactory(fake.client);
    const informer = factory.informer(nodes);
    factory.start();
    await informer.waitForSync();
    await fake.client.create(nodes, { metadata: { name: "n1" } });
    await waitFor(() => informer.size() === 1, "n1 cached");
    await waitFor(() => fake.openWatches() === 1, "watch open");
    fake.closeWatches();
    await fake.client.create(nodes, { metadata: { name: "n2" } });
    await waitFor(() => informer.size() === 2, "n2 cached after re-watch");
    const lists = fake.requests.filter((r) => r.startsWith("GET /api/v1/nodes?") && !r.includes("watch=true"));
    expect(lists.length).toBe(1);
  });

  test("relists on 410 Gone: deletions missed meanwhile reach the delete handler", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, { metadata: { name: "old" } });
    factory = createInformerFactory(fake.client);
    const informer = factory.informer(nodes);
    const deleted: string[] = [];
    informer.addEventHandler({ delete: (n) => deleted.push(n.metadata?.name as string) });
    factory.start();
    await informer.waitForSync();
    await waitFor(() => fake.openWatches() === 1, "watch open");
    // Miss events: end the stream, change things, and forget the history the re-watch would need.
    fake.closeWatches();
    await fake.client.delete(nodes, "old");
    await fake.client.create(nodes, { metadata: { name: "new" } });
    fake.compact();
    await waitFor(() => informer.getByName(undefined, "new"), "new node after relist");
    expect(deleted).toEqual(["old"]);
    expect(informer.keys()).toEqual(["new"]);
    const lists = fake.requests.filter((r) => r.startsWith("GET /api/v1/nodes?") && !r.includes("watch=true"));
    expect(lists.length).toBe(2);
  });

  test("late handlers get the cache replayed; selectors filter; shared per selector", async () => {
    const fake = createFakeCluster();
    const podsDefault = inNamespace(pods, "default");
    await fake.client.create(podsDefault, pod("x", undefined, { app: "web" }));
    await fake.client.create(podsDefault, pod("y", undefined, { app: "db" }));
    factory = createInformerFactory(fake.client);
    const web = factory.informer(pods, { labelSelector: "app=web" });
    expect(factory.informer(pods, { labelSelector: "app=web" })).toBe(web);
    const unassigned = factory.informer(pods, { fieldSelector: "spec.nodeName=" });
    factory.start();
    await factory.waitForSync();
    expect(web.keys()).toEqual(["default/x"]);
    const replayed: string[] = [];
    unassigned.addEventHandler({ add: (p, initial) => replayed.push(`${p.metadata?.name}:${initial}`) });
    expect(replayed.sort()).toEqual(["x:true", "y:true"]);
    // Binding moves a pod out of the field-selected collection: the informer sees it deleted.
    await fake.client.create(podsDefault, { metadata: { name: "x" }, target: { name: "n1" } }, undefined, "binding");
    await waitFor(() => unassigned.size() === 1, "x leaves the unassigned cache");
  });

  test("resync calls update with the same object", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, { metadata: { name: "n1" } });
    factory = createInformerFactory(fake.client, { resyncPeriodMs: 10 });
    const informer = factory.informer(nodes);
    let resyncs = 0;
    informer.addEventHandler({ update: (o, n) => (o === n ? resyncs++ : undefined) });
    factory.start();
    await waitFor(() => resyncs >= 2, "two resyncs");
  });

  test("stop then start runs one list+watch loop, not two", async () => {
    const fake = createFakeCluster();
    factory = createInformerFactory(fake.client);
    const informer = factory.informer(nodes);
    factory.start();
    await informer.waitForSync();
    await waitFor(() => fake.openWatches() === 1, "watch open");
    factory.stop();
    factory.start();
    await fake.client.create(nodes, { metadata: { name: "n1" } });
    await waitFor(() => informer.size() === 1, "n1 cached");
    await Bun.sleep(50);
    expect(fake.openWatches()).toBe(1);
  });
});
