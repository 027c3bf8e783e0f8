// coordination.k8s.io/v1 Lease: node heartbeats and leader election; HOLDER column.

import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  plural: "leases",
  namespaced: true,
  columns: [nameColumn, col("Holder", (l) => l.spec?.holderIdentity ?? ""), ageColumn],
});
