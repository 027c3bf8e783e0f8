// discovery.k8s.io/v1 EndpointSlice: ADDRESSTYPE/PORTS/ENDPOINTS columns.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

function endpointsCell(s: KubeObject): string {
  const addrs: string[] = (s.endpoints ?? []).flatMap((e: { addresses?: string[] }) => e.addresses ?? []);
  if (!addrs.length) return "<unset>";
  return addrs.length > 3 ? `${addrs.slice(0, 3).join(",")} + ${addrs.length - 3} more...` : addrs.join(",");
}

export default describe({
  group: "discovery.k8s.io",
  version: "v1",
  kind: "EndpointSlice",
  plural: "endpointslices",
  namespaced: true,
  columns: [
    nameColumn,
    col("AddressType", (s) => s.addressType ?? ""),
    col("Ports", (s) => ((s.ports ?? []) as { port?: number }[]).map((p) => p.port ?? "").join(",") || "<unset>"),
    col("Endpoints", endpointsCell),
    ageColumn,
  ],
});
