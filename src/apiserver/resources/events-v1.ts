// events.k8s.io/v1 Event. Stored apart from core/v1 events (no conversion between the two schemas yet).

import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "events.k8s.io",
  version: "v1",
  kind: "Event",
  plural: "events",
  namespaced: true,
  shortNames: ["ev"],
  columns: [nameColumn, col("Reason", (e) => e.reason ?? ""), ageColumn],
});
