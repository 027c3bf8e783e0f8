// apps/v1 StatefulSet: defaults (OrderedReady, RollingUpdate), validation, scale subresource, READY column.

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
  kind: "StatefulSet",
  plural: "statefulsets",
  namespaced: true,
  shortNames: ["sts"],
  categories: ["all"],
  status: true,
  scale: REPLICAS_SCALE,
  defaults(s) {
    s.spec ??= {};
    const spec = s.spec;
    spec.replicas ??= 1;
    spec.podManagementPolicy ??= "OrderedReady";
    spec.updateStrategy ??= { type: "RollingUpdate", rollingUpdate: { partition: 0 } };
    spec.revisionHistoryLimit ??= 10;
    spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: "Retain", whenScaled: "Retain" };
    defaultTemplate(spec.template);
  },
  validate: (s) => [...replicasValid(s), ...validateSelectorAndTemplate(s.spec, "spec.template")],
  validateUpdate: immutableSelector,
  columns: [
    nameColumn,
    col("Ready", (s) => `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`),
    ageColumn,
    ...podTemplateColumns((s) => s.spec?.template).slice(0, 2),
  ],
});
