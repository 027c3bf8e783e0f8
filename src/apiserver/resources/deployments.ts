// apps/v1 Deployment: defaults (replicas, RollingUpdate 25%/25%, history and progress deadline), selector and
// template validation, scale subresource, READY/UP-TO-DATE/AVAILABLE columns.

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
  kind: "Deployment",
  plural: "deployments",
  namespaced: true,
  shortNames: ["deploy"],
  categories: ["all"],
  status: true,
  scale: REPLICAS_SCALE,
  defaults(d) {
    d.spec ??= {};
    const spec = d.spec;
    spec.replicas ??= 1;
    spec.strategy ??= { type: "RollingUpdate" };
    if (spec.strategy.type === "RollingUpdate" || !spec.strategy.type) {
      spec.strategy.type = "RollingUpdate";
      spec.strategy.rollingUpdate ??= {};
      spec.strategy.rollingUpdate.maxUnavailable ??= "25%";
      spec.strategy.rollingUpdate.maxSurge ??= "25%";
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    defaultTemplate(spec.template);
  },
  validate: (d) => [...replicasValid(d), ...validateSelectorAndTemplate(d.spec, "spec.template")],
  validateUpdate: immutableSelector,
  columns: [
    nameColumn,
    col("Ready", (d) => `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`),
    col("Up-to-date", (d) => d.status?.updatedReplicas ?? 0, { type: "integer" }),
    col("Available", (d) => d.status?.availableReplicas ?? 0, { type: "integer" }),
    ageColumn,
    ...podTemplateColumns((d) => d.spec?.template),
  ],
});
