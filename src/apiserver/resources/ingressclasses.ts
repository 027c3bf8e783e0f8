// networking.k8s.io/v1 IngressClass.

import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "networking.k8s.io",
  version: "v1",
  kind: "IngressClass",
  plural: "ingressclasses",
  namespaced: false,
  columns: [
    nameColumn,
    col("Controller", (c) => c.spec?.controller ?? ""),
    col("Parameters", (c) => (c.spec?.parameters ? `${c.spec.parameters.kind}/${c.spec.parameters.name}` : "<none>")),
    ageColumn,
  ],
});
