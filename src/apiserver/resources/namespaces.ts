// core/v1 Namespace: DNS-1123 label names, phase Active on create, the `kubernetes` finalizer (the namespace
// controller removes it once the contents are gone), deletion → Terminating.

import { ageColumn, col, nameColumn } from "../table.ts";
import { dns1123Label } from "../validation.ts";
import { describe } from "./types.ts";

export const NAMESPACE_FINALIZER = "kubernetes";

export default describe({
  group: "",
  version: "v1",
  kind: "Namespace",
  plural: "namespaces",
  namespaced: false,
  shortNames: ["ns"],
  status: true,
  generation: false,
  subresources: ["finalize"],
  nameValidator: dns1123Label,
  defaults(ns) {
    ns.metadata ??= {};
    const name = ns.metadata.name;
    // Upstream labels every namespace with its own name so selectors can pick namespaces by name.
    if (name) ns.metadata.labels = { ...ns.metadata.labels, "kubernetes.io/metadata.name": name };
    ns.spec ??= {};
    ns.spec.finalizers ??= [NAMESPACE_FINALIZER];
  },
  prepareCreate(ns) {
    ns.status = { phase: "Active" };
  },
  fields: (ns) => ({ "status.phase": ns.status?.phase }),
  columns: [nameColumn, col("Status", (n) => n.status?.phase ?? ""), ageColumn],
});
