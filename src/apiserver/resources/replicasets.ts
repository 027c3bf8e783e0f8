// apps/v1 ReplicaSet: selector/template validation, scale subresource, DESIRED/CURRENT/READY columns.

import { ageColumn, col, nameColumn, podTemplateColumns } from "../table.ts";
import { describe } from "./types.ts";
import {
  defaultTemplate,
  immutableSelector,
  REPLICAS_SCALE,
  replicasValid,
  validateSelectorAndTemplate,
} from "./workload.ts";

export default describe({
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  plural: "replicasets",
  namespaced: true,
  shortNames: ["rs"],
  categories: ["all"],
  status: true,
  scale: REPLICAS_SCALE,
  defaults(rs) {
    rs.spec ??= {};
    const spec = rs.spec;
    spec.replicas ??= 1;
    defaultTemplate(spec.template);
  },
  validate: (rs) => [...replicasValid(rs), ...validateSelectorAndTemplate(rs.spec, "spec.template")],
  validateUpdate: immutableSelector,
  columns: [
    nameColumn,
    col("Desired", (r) => r.spec?.replicas ?? 0, { type: "integer" }),
    col("Current", (r) => r.status?.replicas ?? 0, { type: "integer" }),
    col("Ready", (r) => r.status?.readyReplicas ?? 0, { type: "integer" }),
    ageColumn,
    ...podTemplateColumns((r) => r.spec?.template),
  ],
});
