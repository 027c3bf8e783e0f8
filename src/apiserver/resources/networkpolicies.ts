// networking.k8s.io/v1 NetworkPolicy: POD-SELECTOR column; policyTypes defaulted as upstream.

import { ageColumn, col, labelSelectorString, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "networking.k8s.io",
  version: "v1",
  kind: "NetworkPolicy",
  plural: "networkpolicies",
  namespaced: true,
  shortNames: ["netpol"],
  defaults(np) {
    np.spec ??= {};
    const spec = np.spec;
    spec.podSelector ??= {};
    if (!spec.policyTypes) spec.policyTypes = spec.egress ? ["Ingress", "Egress"] : ["Ingress"];
  },
  columns: [
    nameColumn,
    col("Pod-Selector", (n) => {
      const s = labelSelectorString(n.spec?.podSelector);
      return s === "<none>" ? "" : s;
    }),
    ageColumn,
  ],
});
