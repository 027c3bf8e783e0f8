// scheduling.k8s.io/v1 PriorityClass: VALUE/GLOBAL-DEFAULT/PREEMPTIONPOLICY columns.

import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "scheduling.k8s.io",
  version: "v1",
  kind: "PriorityClass",
  plural: "priorityclasses",
  namespaced: false,
  shortNames: ["pc"],
  defaults(pc) {
    pc.preemptionPolicy ??= "PreemptLowerPriority";
  },
  columns: [
    nameColumn,
    col("Value", (p) => p.value ?? 0, { type: "integer" }),
    col("Global-Default", (p) => String(p.globalDefault ?? false), { type: "boolean" }),
    ageColumn,
    col("PreemptionPolicy", (p) => p.preemptionPolicy ?? ""),
  ],
});
