import { expect, test } from "bun:test";
import type { Event, Pod } from "../../api/types.ts";
import { createFakeCluster } from "../../client/fake.ts";
import { events, inNamespace } from "../../client/refs.ts";
import { waitFor } from "../../client/testing.ts";
import { eventRecorder } from "./events.ts";

test("a repeated event is one Event whose count grows; a different one is another Event", async () => {
  const fake = createFakeCluster();
  const record = eventRecorder(fake.client, "n1");
  const pod = { metadata: { name: "p", namespace: "default", uid: "u1" } } as Pod;
  for (let i = 0; i < 5; i++) record(pod, "Normal", "BackOff", 'Back-off pulling image "x"', "spec.containers{c}");
  record(pod, "Warning", "Failed", "Error: ImagePullBackOff", "spec.containers{c}");
  const listed = await waitFor(async () => {
    const list = await fake.client.list<Event>(inNamespace(events, "default"));
    const backOff = list.items.find((e) => e.reason === "BackOff");
    return list.items.length === 2 && backOff?.count === 5 ? list.items : undefined;
  }, "aggregated events");
  expect(listed.map((e) => e.reason).sort()).toEqual(["BackOff", "Failed"]);
});
