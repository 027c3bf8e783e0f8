// policy/v1 PodDisruptionBudget: the budget the eviction subresource honours.

import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "policy",
  version: "v1",
  kind: "PodDisruptionBudget",
  plural: "poddisruptionbudgets",
  namespaced: true,
  shortNames: ["pdb"],
  status: true,
  columns: [
    nameColumn,
    col("Min Available", (p) => (p.spec?.minAvailable ?? "N/A").toString()),
    col("Max Unavailable", (p) => (p.spec?.maxUnavailable ?? "N/A").toString()),
    col("Allowed Disruptions", (p) => p.status?.disruptionsAllowed ?? 0, { type: "integer" }),
    ageColumn,
  ],
});
