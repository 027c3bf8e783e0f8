// core/v1 PersistentVolumeClaim: volumeMode default, phase Pending on create, kubectl's columns.

import { ageColumn, col, nameColumn, wide } from "../table.ts";
import { accessModes } from "./persistentvolumes.ts";
import { describe } from "./types.ts";

export default describe({
  group: "",
  version: "v1",
  kind: "PersistentVolumeClaim",
  plural: "persistentvolumeclaims",
  namespaced: true,
  shortNames: ["pvc"],
  status: true,
  generation: false,
  defaults(pvc) {
    pvc.spec ??= {};
    pvc.spec.volumeMode ??= "Filesystem";
  },
  prepareCreate(pvc) {
    pvc.status = { phase: "Pending" };
  },
  columns: [
    nameColumn,
    col("Status", (c) => c.status?.phase ?? ""),
    col("Volume", (c) => c.spec?.volumeName ?? ""),
    col("Capacity", (c) => c.status?.capacity?.storage ?? ""),
    col("Access Modes", (c) => accessModes(c.status?.accessModes)),
    col("StorageClass", (c) => c.spec?.storageClassName ?? ""),
    col("VolumeAttributesClass", (c) => c.spec?.volumeAttributesClassName ?? "<unset>"),
    ageColumn,
    wide("VolumeMode", (c) => c.spec?.volumeMode ?? "Filesystem"),
  ],
});
