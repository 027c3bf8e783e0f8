// events.k8s.io/v1 and core/v1 Events are one resource: an event written through either API is read through the
// other with upstream's field mapping, so what a client-go events recorder writes shows in kubectl.

import { expect, test } from "bun:test";
import { adminFetch } from "./admin-fetch.ts";
import { useK3lite } from "./harness.ts";

const k = useK3lite();
const json = { "content-type": "application/json" };

test("an events.k8s.io/v1 event is a core/v1 event, and the other way round", async () => {
  const created = await adminFetch(k, "/apis/events.k8s.io/v1/namespaces/default/events", {
    method: "POST",
    headers: json,
    body: JSON.stringify({
      metadata: { name: "from-v1" },
      eventTime: "2026-11-24T10:00:00.000000Z",
      reportingController: "example.com/ctl",
      reportingInstance: "ctl-0",
      action: "Reconcile",
      reason: "Synced",
      note: "synced the widget",
      type: "Normal",
      regarding: { kind: "ConfigMap", name: "widget", namespace: "default", apiVersion: "v1" },
    }),
  });
  expect(created.status).toBe(201);
  expect((await created.json()).regarding.name).toBe("widget");

  const core = await (await adminFetch(k, "/api/v1/namespaces/default/events/from-v1")).json();
  expect(core).toMatchObject({
    apiVersion: "v1",
    involvedObject: { kind: "ConfigMap", name: "widget" },
    message: "synced the widget",
    reportingComponent: "example.com/ctl",
  });
  const listed = await k.kubectl(["get", "events", "--field-selector", "involvedObject.name=widget", "-o", "name"]);
  expect(listed.stdout).toContain("from-v1");

  const coreCreated = await adminFetch(k, "/api/v1/namespaces/default/events", {
    method: "POST",
    headers: json,
    body: JSON.stringify({
      metadata: { name: "from-core" },
      involvedObject: { kind: "Pod", name: "p1", namespace: "default" },
      reason: "Started",
      message: "Started container c",
      source: { component: "kubelet", host: "n1" },
      count: 2,
      type: "Normal",
    }),
  });
  expect(coreCreated.status).toBe(201);
  const v1 = await (await adminFetch(k, "/apis/events.k8s.io/v1/namespaces/default/events/from-core")).json();
  expect(v1).toMatchObject({
    apiVersion: "events.k8s.io/v1",
    regarding: { kind: "Pod", name: "p1" },
    note: "Started container c",
    deprecatedSource: { component: "kubelet", host: "n1" },
    deprecatedCount: 2,
  });
  expect(v1.involvedObject).toBeUndefined();

  const selected = await (
    await adminFetch(k, "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dp1")
  ).json();
  expect(selected.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(["from-core"]);
  const table = await k.kubectl(["get", "events.v1.events.k8s.io", "from-core"]);
  expect(table.code).toBe(0);
  expect(table.stdout).toContain("Started");

  // Updates through one shape keep the fields only the other names.
  const patched = await adminFetch(k, "/apis/events.k8s.io/v1/namespaces/default/events/from-core", {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json" },
    body: JSON.stringify({ deprecatedCount: 3 }),
  });
  expect(patched.status).toBe(200);
  const after = await (await adminFetch(k, "/api/v1/namespaces/default/events/from-core")).json();
  expect(after).toMatchObject({ count: 3, message: "Started container c", source: { component: "kubelet" } });
});

test("a watch on events.k8s.io/v1 sees core events in its shape", async () => {
  const ac = new AbortController();
  const res = await adminFetch(
    k,
    "/apis/events.k8s.io/v1/namespaces/default/events?watch=1&fieldSelector=reason%3DWatched",
    {
      signal: ac.signal,
    },
  );
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  await adminFetch(k, "/api/v1/namespaces/default/events", {
    method: "POST",
    headers: json,
    body: JSON.stringify({
      metadata: { name: "watched" },
      involvedObject: { kind: "Pod", name: "p2", namespace: "default" },
      reason: "Watched",
      message: "seen",
    }),
  });
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  ac.abort();
  const ev = JSON.parse(text.split("\n")[0]);
  expect(ev.type).toBe("ADDED");
  expect(ev.object).toMatchObject({ apiVersion: "events.k8s.io/v1", note: "seen", regarding: { name: "p2" } });
});
