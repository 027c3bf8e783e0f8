// core/v1 PersistentVolume: reclaim policy default, phase Pending on create, kubectl's columns.

import { ageColumn, col, nameColumn, wide } from "../table.ts";
import { describe } from "./types.ts";

const claim = (pv: { spec?: { claimRef?: { namespace?: string; name?: string } } }) =>
  pv.spec?.claimRef ? `${pv.spec.claimRef.namespace}/${pv.spec.claimRef.name}` : "";

export const accessModes = (modes: string[] | undefined) =>
  (modes ?? [])
    .map((m) => ({ ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" })[m] ?? m)
    .join(",");

export default describe({
  group: "",
  version: "v1",
  kind: "PersistentVolume",
  plural: "persistentvolumes",
  namespaced: false,
  shortNames: ["pv"],
  status: true,
  generation: false,
  defaults(pv) {
    pv.spec ??= {};
    pv.spec.persistentVolumeReclaimPolicy ??= "Retain";
    pv.spec.volumeMode ??= "Filesystem";
  },
  prepareCreate(pv) {
    pv.status = { phase: "Pending" };
  },
  fields: (pv) => ({ "spec.storageClassName": pv.spec?.storageClassName ?? "" }),
  columns: [
    nameColumn,
    col("Capacity", (pv) => pv.spec?.capacity?.storage ?? ""),
    col("Access Modes", (pv) => accessModes(pv.spec?.accessModes)),
    col("Reclaim Policy", (pv) => pv.spec?.persistentVolumeReclaimPolicy ?? ""),
    col("Status", (pv) => pv.status?.phase ?? ""),
    col("Claim", claim),
    col("StorageClass", (pv) => pv.spec?.storageClassName ?? ""),
    col("VolumeAttributesClass", (pv) => pv.spec?.volumeAttributesClassName ?? "<unset>"),
    col("Reason", (pv) => pv.status?.reason ?? ""),
    ageColumn,
    wide("VolumeMode", (pv) => pv.spec?.volumeMode ?? "Filesystem"),
  ],
});
