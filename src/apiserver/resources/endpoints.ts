// core/v1 Endpoints: ENDPOINTS column as kubectl prints it (first three ip:port, then "+ N more...").

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

function endpointsCell(ep: KubeObject): string {
  const all: string[] = [];
  for (const subset of ep.subsets ?? []) {
    for (const addr of subset.addresses ?? []) {
      if (!(subset.ports ?? []).length) all.push(addr.ip);
      for (const p of subset.ports ?? []) all.push(`${addr.ip}:${p.port}`);
    }
  }
  if (!all.length) return "<none>";
  return all.length > 3 ? `${all.slice(0, 3).join(",")} + ${all.length - 3} more...` : all.join(",");
}

export default describe({
  group: "",
  version: "v1",
  kind: "Endpoints",
  plural: "endpoints",
  namespaced: true,
  shortNames: ["ep"],
  singular: "endpoints",
  columns: [nameColumn, col("Endpoints", endpointsCell), ageColumn],
});
