// core/v1 ReplicationController (served for completeness; no controller drives it yet).

import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";
import { defaultTemplate, REPLICAS_SCALE } from "./workload.ts";

export default describe({
  group: "",
  version: "v1",
  kind: "ReplicationController",
  plural: "replicationcontrollers",
  namespaced: true,
  shortNames: ["rc"],
  categories: ["all"],
  status: true,
  scale: REPLICAS_SCALE,
  defaults(rc) {
    rc.spec ??= {};
    rc.spec.replicas ??= 1;
    defaultTemplate(rc.spec.template);
  },
  columns: [
    nameColumn,
    col("Desired", (r) => r.spec?.replicas ?? 0, { type: "integer" }),
    col("Current", (r) => r.status?.replicas ?? 0, { type: "integer" }),
    col("Ready", (r) => r.status?.readyReplicas ?? 0, { type: "integer" }),
    ageColumn,
  ],
});
