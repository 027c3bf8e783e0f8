// storage.k8s.io/v1 StorageClass: reclaim/binding defaults, parameters and provisioner immutable.

import { ageColumn, col, nameColumn } from "../table.ts";
import { immutable } from "../validation.ts";
import { describe } from "./types.ts";

export default describe({
  group: "storage.k8s.io",
  version: "v1",
  kind: "StorageClass",
  plural: "storageclasses",
  namespaced: false,
  shortNames: ["sc"],
  defaults(sc) {
    sc.reclaimPolicy ??= "Delete";
    sc.volumeBindingMode ??= "Immediate";
  },
  validateUpdate: (sc, old) => (sc.provisioner !== old.provisioner ? [immutable("provisioner", sc.provisioner)] : []),
  columns: [
    {
      ...nameColumn,
      cell: (s) =>
        s.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true"
          ? `${s.metadata.name} (default)`
          : (s.metadata?.name ?? ""),
    },
    col("Provisioner", (s) => s.provisioner ?? ""),
    col("ReclaimPolicy", (s) => s.reclaimPolicy ?? ""),
    col("VolumeBindingMode", (s) => s.volumeBindingMode ?? ""),
    col("AllowVolumeExpansion", (s) => String(s.allowVolumeExpansion ?? false)),
    ageColumn,
  ],
});
