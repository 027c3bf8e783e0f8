// events.k8s.io/v1 Event: the same stored objects as core/v1 Events, in the newer shape (event-conversion.ts),
// with the columns `kubectl get events` prints and the field selectors upstream registers for this version.

import { coreToEventsV1, eventsV1ToCore } from "./event-conversion.ts";
import coreEvents from "./events.ts";
import { columnsThrough, describe } from "./types.ts";

export default describe({
  group: "events.k8s.io",
  version: "v1",
  kind: "Event",
  plural: "events",
  namespaced: true,
  shortNames: ["ev"],
  storedAs: { group: "", plural: "events", fromStorage: coreToEventsV1, toStorage: eventsV1ToCore },
  fields: (e) => ({
    "regarding.kind": e.regarding?.kind,
    "regarding.namespace": e.regarding?.namespace,
    "regarding.name": e.regarding?.name,
    "regarding.uid": e.regarding?.uid,
    "regarding.apiVersion": e.regarding?.apiVersion,
    "regarding.resourceVersion": e.regarding?.resourceVersion,
    "regarding.fieldPath": e.regarding?.fieldPath,
    reason: e.reason,
    reportingController: e.reportingController,
    type: e.type,
  }),
  // Core's columns, read off the core shape of each object.
  columns: columnsThrough(coreEvents.columns, eventsV1ToCore),
});
