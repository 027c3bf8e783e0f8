// apps/v1 DaemonSet: defaults (RollingUpdate maxUnavailable 1), validation, and kubectl's columns.

import { ageColumn, col, mapToString, nameColumn, podTemplateColumns } from "../table.ts";
import { describe } from "./types.ts";
import { defaultTemplate, immutableSelector, validateSelectorAndTemplate } from "./workload.ts";

const count = (name: string, field: string) => col(name, (d) => d.status?.[field] ?? 0, { type: "integer" });

export default describe({
  group: "apps",
  version: "v1",
  kind: "DaemonSet",
  plural: "daemonsets",
  namespaced: true,
  shortNames: ["ds"],
  categories: ["all"],
  status: true,
  defaults(d) {
    d.spec ??= {};
    const spec = d.spec;
    spec.updateStrategy ??= { type: "RollingUpdate" };
    if (spec.updateStrategy.type === "RollingUpdate")
      spec.updateStrategy.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
    spec.revisionHistoryLimit ??= 10;
    defaultTemplate(spec.template);
  },
  validate: (d) => validateSelectorAndTemplate(d.spec, "spec.template"),
  validateUpdate: immutableSelector,
  columns: [
    nameColumn,
    count("Desired", "desiredNumberScheduled"),
    count("Current", "currentNumberScheduled"),
    count("Ready", "numberReady"),
    count("Up-to-date", "updatedNumberScheduled"),
    count("Available", "numberAvailable"),
    col("Node Selector", (d) => mapToString(d.spec?.template?.spec?.nodeSelector)),
    ageColumn,
    ...podTemplateColumns((d) => d.spec?.template),
  ],
});
