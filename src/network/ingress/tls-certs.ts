// Which certificate the ingress presents for a TLS server name (pure): Ingress spec.tls entries name the hosts a
// kubernetes.io/tls Secret in the Ingress's namespace serves (exact, or `*.example.com` for one label); an entry
// without hosts serves names no other entry claims. The oldest Ingress wins a host claimed twice.

import type { networking, Secret } from "../../api/types.ts";
import { isOurIngress } from "./class.ts";
import { wildcardSuffix } from "./routes.ts";

export interface CertificateRef {
  /** "namespace/secretName", with the Secret's resourceVersion so a renewed Secret is told apart. */
  key: string;
  certPem: string;
  keyPem: string;
}

export interface TlsTable {
  hosts: Map<string, CertificateRef>;
  /** Keyed by ".example.com" for `*.example.com`. */
  wildcards: Map<string, CertificateRef>;
  /** From a spec.tls entry without hosts. */
  fallback?: CertificateRef;
}

export function buildTlsTable(ingresses: networking.Ingress[], secrets: Secret[]): TlsTable {
  const byKey = new Map(secrets.map((s) => [`${s.metadata?.namespace}/${s.metadata?.name}`, s]));
  const table: TlsTable = { hosts: new Map(), wildcards: new Map() };
  const ours = ingresses.filter(isOurIngress).sort((a, b) => creation(a).localeCompare(creation(b)));
  for (const ing of ours) {
    for (const entry of ing.spec?.tls ?? []) {
      const key = `${ing.metadata?.namespace}/${entry.secretName ?? ""}`;
      const cert = entry.secretName ? certificateOf(key, byKey.get(key)) : undefined;
      if (!cert) continue;
      if (!entry.hosts?.length) table.fallback ??= cert;
      for (const raw of entry.hosts ?? []) {
        const host = raw.toLowerCase();
        const [map, name] = host.startsWith("*.") ? [table.wildcards, host.slice(1)] : [table.hosts, host];
        if (!map.has(name)) map.set(name, cert);
      }
    }
  }
  return table;
}

/** The certificate for a client's SNI name; undefined means the default certificate. */
export function certificateFor(table: TlsTable, servername: string | undefined): CertificateRef | undefined {
  if (!servername) return table.fallback;
  const host = servername.toLowerCase();
  const suffix = wildcardSuffix(host);
  return table.hosts.get(host) ?? (suffix ? table.wildcards.get(suffix) : undefined) ?? table.fallback;
}

function certificateOf(key: string, secret: Secret | undefined): CertificateRef | undefined {
  const certB64 = secret?.data?.["tls.crt"];
  const keyB64 = secret?.data?.["tls.key"];
  if (!certB64 || !keyB64) return undefined;
  return {
    key: `${key}@${secret?.metadata?.resourceVersion ?? ""}`,
    certPem: Buffer.from(certB64, "base64").toString(),
    keyPem: Buffer.from(keyB64, "base64").toString(),
  };
}

const creation = (ing: networking.Ingress) =>
  `${ing.metadata?.creationTimestamp ?? ""}/${ing.metadata?.namespace}/${ing.metadata?.name}`;
