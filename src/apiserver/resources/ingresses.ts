// networking.k8s.io/v1 Ingress: CLASS/HOSTS/ADDRESS/PORTS columns.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

const hosts = (i: KubeObject) => {
  const h: string[] = (i.spec?.rules ?? []).map((r: { host?: string }) => r.host).filter(Boolean);
  return h.length ? h.join(",") : "*";
};
const address = (i: KubeObject) =>
  ((i.status?.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[])
    .map((x) => x.ip || x.hostname)
    .join(",");

export default describe({
  group: "networking.k8s.io",
  version: "v1",
  kind: "Ingress",
  plural: "ingresses",
  namespaced: true,
  shortNames: ["ing"],
  status: true,
  columns: [
    nameColumn,
    col("Class", (i) => i.spec?.ingressClassName ?? "<none>"),
    col("Hosts", hosts),
    col("Address", address),
    col("Ports", (i) => ((i.spec?.tls ?? []).length ? "80, 443" : "80")),
    ageColumn,
  ],
});
