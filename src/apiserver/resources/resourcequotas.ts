// core/v1 ResourceQuota: REQUEST/LIMIT columns as "used/hard" pairs.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

function usage(q: KubeObject, limits: boolean): string {
  const hard = (q.status?.hard ?? q.spec?.hard ?? {}) as Record<string, string>;
  const used = (q.status?.used ?? {}) as Record<string, string>;
  return Object.keys(hard)
    .filter((k) => k.startsWith("limits.") === limits)
    .sort()
    .map((k) => `${k}: ${used[k] ?? "0"}/${hard[k]}`)
    .join(", ");
}

export default describe({
  group: "",
  version: "v1",
  kind: "ResourceQuota",
  plural: "resourcequotas",
  namespaced: true,
  shortNames: ["quota"],
  status: true,
  generation: false,
  columns: [nameColumn, ageColumn, col("Request", (q) => usage(q, false)), col("Limit", (q) => usage(q, true))],
});
