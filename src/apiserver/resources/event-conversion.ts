// events.k8s.io/v1 and core/v1 Events are one resource in two shapes, as upstream keeps them: stored once (as
// core/v1, under /registry/core/events) and converted field by field on the way in and out, so an event a
// controller records through either API shows in `kubectl describe` and `kubectl events`. The mapping is one to
// one (upstream's conversion): involvedObject ↔ regarding, message ↔ note, source ↔ deprecatedSource,
// first/lastTimestamp ↔ deprecatedFirst/LastTimestamp, count ↔ deprecatedCount, reportingComponent ↔
// reportingController; every other field has the same name in both.

import type { KubeObject } from "../../api/types.ts";

/** [core/v1 field, events.k8s.io/v1 field] for the fields whose names differ. */
const RENAMED: [string, string][] = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
  ["reportingComponent", "reportingController"],
];

function renamed(obj: KubeObject, apiVersion: string, from: 0 | 1): KubeObject {
  const out: KubeObject = { ...obj, apiVersion };
  for (const pair of RENAMED) {
    const [source, target] = [pair[from], pair[1 - from]];
    delete out[target];
    if (obj[source] !== undefined) out[target] = obj[source];
    delete out[source];
  }
  return out;
}

/** A stored core/v1 Event as events.k8s.io/v1 serves it. */
export const coreToEventsV1 = (obj: KubeObject): KubeObject => renamed(obj, "events.k8s.io/v1", 0);

/** An events.k8s.io/v1 Event as it is stored (core/v1). */
export const eventsV1ToCore = (obj: KubeObject): KubeObject => renamed(obj, "v1", 1);
