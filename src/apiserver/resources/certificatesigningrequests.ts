// certificates.k8s.io/v1 CertificateSigningRequest (+status, +approval): the CSR API users and nodes get
// certificates through; signing is the auth component's controller.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

function condition(csr: KubeObject): string {
  const conds: { type: string }[] = csr.status?.conditions ?? [];
  const parts = conds.map((c) => c.type);
  if (!parts.length) return "Pending";
  if (csr.status?.certificate) parts.push("Issued");
  return parts.join(",");
}

export default describe({
  group: "certificates.k8s.io",
  version: "v1",
  kind: "CertificateSigningRequest",
  plural: "certificatesigningrequests",
  namespaced: false,
  shortNames: ["csr"],
  status: true,
  subresources: ["approval"],
  columns: [
    nameColumn,
    ageColumn,
    col("SignerName", (c) => c.spec?.signerName ?? ""),
    col("Requestor", (c) => c.spec?.username ?? ""),
    col("RequestedDuration", (c) =>
      c.spec?.expirationSeconds ? `${Math.round(c.spec.expirationSeconds / 60)}m` : "<none>",
    ),
    col("Condition", condition),
  ],
});
