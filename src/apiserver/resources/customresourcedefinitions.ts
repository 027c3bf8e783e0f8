// apiextensions.k8s.io/v1 CustomResourceDefinition, validated as upstream does (src/apiserver/crd/validate-crd.ts);
// the code in src/apiserver/crd/ turns Established CRDs into descriptors served by the same generic REST code.

import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import type { KubeObject } from "../../api/types.ts";
import { validateCustomResourceDefinition, validateCustomResourceDefinitionChange } from "../crd/validate-crd.ts";
import { createdAtColumn, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

const asCrd = (obj: KubeObject) => obj as unknown as CustomResourceDefinition;

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
  // The generic write path runs validate on every write and validateUpdate on updates as well.
  validate: (crd) => validateCustomResourceDefinition(asCrd(crd)),
  validateUpdate: (crd, old) => validateCustomResourceDefinitionChange(asCrd(crd), asCrd(old)),
  columns: [nameColumn, createdAtColumn],
});
