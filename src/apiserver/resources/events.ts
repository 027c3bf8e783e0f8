// core/v1 Event: the columns of `kubectl get events` and the involvedObject.* field selectors controllers use.

import type { KubeObject } from "../../api/types.ts";
import { col, since, wide } from "../table.ts";
import { describe } from "./types.ts";

const lastSeen = (e: KubeObject, now: number) =>
  since(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp, now);
const involved = (e: KubeObject) => `${(e.involvedObject?.kind ?? "").toLowerCase()}/${e.involvedObject?.name ?? ""}`;

export default describe({
  group: "",
  version: "v1",
  kind: "Event",
  plural: "events",
  namespaced: true,
  shortNames: ["ev"],
  fields: (e) => ({
    "involvedObject.kind": e.involvedObject?.kind,
    "involvedObject.namespace": e.involvedObject?.namespace,
    "involvedObject.name": e.involvedObject?.name,
    "involvedObject.uid": e.involvedObject?.uid,
    "involvedObject.apiVersion": e.involvedObject?.apiVersion,
    "involvedObject.resourceVersion": e.involvedObject?.resourceVersion,
    "involvedObject.fieldPath": e.involvedObject?.fieldPath,
    reason: e.reason,
    reportingComponent: e.reportingComponent,
    source: e.source?.component,
    type: e.type,
  }),
  columns: [
    col("Last Seen", lastSeen),
    col("Type", (e) => e.type ?? ""),
    col("Reason", (e) => e.reason ?? ""),
    col("Object", involved),
    wide("Subobject", (e) => e.involvedObject?.fieldPath ?? ""),
    wide(
      "Source",
      (e) => [e.source?.component, e.source?.host].filter(Boolean).join(", ") || e.reportingComponent || "",
    ),
    col("Message", (e) => (e.message ?? "").trim()),
    wide("First Seen", (e, now) => since(e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp, now)),
    wide("Count", (e) => e.count ?? 1, "integer"),
    wide("Name", (e) => e.metadata?.name ?? ""),
  ],
});
