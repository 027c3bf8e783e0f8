// apiextensions.k8s.io/v1 CustomResourceDefinition: the name must be <plural>.<group>; the CRD helper's code
// (src/apiserver/crd/) turns Established CRDs into descriptors served by the same generic REST code.

import type { KubeObject } from "../../api/types.ts";
import { createdAtColumn, nameColumn } from "../table.ts";
import { type FieldError, invalidValue, required } from "../validation.ts";
import { describe } from "./types.ts";

function validate(crd: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd.spec ?? {};
  if (!spec.group) errs.push(required("spec.group"));
  if (!spec.names?.plural) errs.push(required("spec.names.plural"));
  if (!spec.names?.kind) errs.push(required("spec.names.kind"));
  if (!["Namespaced", "Cluster"].includes(spec.scope)) errs.push(invalidValue("spec.scope", spec.scope ?? "", "must be either Namespaced or Cluster"));
  if (!(spec.versions ?? []).length) errs.push(required("spec.versions"));
  const storage = (spec.versions ?? []).filter((v: { storage?: boolean }) => v.storage).length;
  if ((spec.versions ?? []).length && storage !== 1) errs.push(invalidValue("spec.versions", storage, "must have exactly one version marked as storage version"));
  const want = `${spec.names?.plural}.${spec.group}`;
  if (spec.group && spec.names?.plural && crd.metadata?.name !== want) {
    errs.push(invalidValue("metadata.name", crd.metadata?.name ?? "", `must be spec.names.plural+"."+spec.group`));
  }
  return errs;
}

export default describe({
  group: "apiextensions.k8s.io",
  version: "v1",
  kind: "CustomResourceDefinition",
  plural: "customresourcedefinitions",
  namespaced: false,
  shortNames: ["crd", "crds"],
  categories: ["api-extensions"],
  status: true,
  defaults(crd) {
    const names = crd.spec?.names;
    if (names) {
      names.singular ??= String(names.kind ?? "").toLowerCase();
      names.listKind ??= `${names.kind}List`;
    }
    crd.spec ??= {};
    crd.spec.conversion ??= { strategy: "None" };
  },
  validate,
  columns: [nameColumn, createdAtColumn],
});
