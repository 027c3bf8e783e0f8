// events.k8s.io/v1 Event: the same stored objects as core/v1 Events, in the newer shape (event-conversion.ts),
// with the columns `kubectl get events` prints and the field selectors upstream registers for this version.

import type { KubeObject } from "../../api/types.ts";
import { coreToEventsV1, eventsV1ToCore } from "./event-conversion.ts";
import coreEvents from "./events.ts";
import { describe, type TableColumn } from "./types.ts";

/** Core's columns, read off the core shape of each object. */
const columns: TableColumn[] = (coreEvents.columns ?? []).map((c) => ({
  ...c,
  cell: (e: KubeObject, now: number) => c.cell(eventsV1ToCore(e), now),
}));

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
  columns,
});
