import { expect, test } from "bun:test";
import type { Event, KubeObject } from "../api/types.ts";
import { events } from "../client/refs.ts";
import { createEventRecorder } from "./events.ts";
import { FakeCluster } from "./testing/fake.ts";

test("repeats bump count; many messages for one reason are combined", async () => {
  const cluster = new FakeCluster();
  const recorder = createEventRecorder(cluster.client, "test", cluster.clock);
  const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", uid: "u1" } };
  for (let i = 0; i < 3; i++) recorder.event(pod, "Warning", "BackOff", "Back-off restarting failed container");
  await recorder.flush();
  const all = () => cluster.objects<Event>(events);
  expect(all()).toHaveLength(1);
  expect(all()[0]).toMatchObject({
    reason: "BackOff",
    count: 3,
    type: "Warning",
    involvedObject: { kind: "Pod", name: "p", uid: "u1" },
  });

  for (let i = 0; i < 12; i++) recorder.event(pod, "Normal", "Pulling", `Pulling image "img:${i}"`);
  await recorder.flush();
  const pulling = all().filter((e) => e.reason === "Pulling");
  expect(pulling).toHaveLength(11); // ten distinct, then one combined event counting the rest
  const combined = pulling.find((e) => e.message?.startsWith("(combined from similar events)"));
  expect(combined?.count).toBe(2);
});
