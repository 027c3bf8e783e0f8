import { expect, test } from "bun:test";
import { coreToEventsV1, eventsV1ToCore } from "./event-conversion.ts";

const core = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "e", namespace: "default" },
  involvedObject: { kind: "Pod", name: "p", namespace: "default" },
  reason: "Started",
  message: "Started container c",
  source: { component: "kubelet", host: "n1" },
  firstTimestamp: "2026-11-24T00:00:00Z",
  lastTimestamp: "2026-11-24T00:01:00Z",
  count: 3,
  type: "Normal",
  eventTime: null,
  reportingComponent: "kubelet",
  reportingInstance: "n1",
};

test("core/v1 ↔ events.k8s.io/v1 renames the fields upstream renames and round-trips", () => {
  const v1 = coreToEventsV1(core);
  expect(v1).toMatchObject({
    apiVersion: "events.k8s.io/v1",
    regarding: core.involvedObject,
    note: core.message,
    deprecatedSource: core.source,
    deprecatedFirstTimestamp: core.firstTimestamp,
    deprecatedLastTimestamp: core.lastTimestamp,
    deprecatedCount: 3,
    reportingController: "kubelet",
    reportingInstance: "n1",
    reason: "Started",
  });
  expect(v1).not.toHaveProperty("involvedObject");
  expect(v1).not.toHaveProperty("message");
  expect(eventsV1ToCore(v1)).toEqual(core);
});
