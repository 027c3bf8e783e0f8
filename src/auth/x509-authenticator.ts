// Authenticates a request by its TLS client certificate, as upstream's x509 authenticator: the certificate must
// chain to the client CA, be within its validity and allow clientAuth; CN is the user, O the groups. The TLS layer
// already checked the chain against whatever CA it was given; this re-checks against the client CA itself so a
// certificate from the server CA (or another bundle member) never becomes a user.
import { createHash } from "node:crypto";
import type { UserInfo } from "../api/types.ts";
import { parseCertificates, x509 } from "./x509.ts";

const CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";
const CACHE_LIMIT = 1024;

export type CertificateVerdict = { user: UserInfo } | { error: string };

export function createX509Authenticator(clientCaPem: string) {
  const cas = parseCertificates(clientCaPem);
  if (cas.length === 0) throw new Error("client CA certificate is unreadable");
  // Parsing and verifying costs more than the rest of a request; a certificate's verdict only changes with time.
  const cache = new Map<string, { user: UserInfo; notBefore: number; notAfter: number }>();

  return async function authenticateCertificate(raw: Uint8Array, now = new Date()): Promise<CertificateVerdict> {
    const key = createHash("sha256").update(raw).digest("hex");
    const hit = cache.get(key);
    if (hit) {
      const t = now.getTime();
      if (t >= hit.notBefore && t <= hit.notAfter) return { user: hit.user };
      return { error: "x509: certificate has expired or is not yet valid" };
    }
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(new Uint8Array(raw));
    } catch {
      return { error: "x509: malformed certificate" };
    }
    const verdict = await verify(cert, cas, now);
    if ("user" in verdict) {
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
      cache.set(key, { user: verdict.user, notBefore: cert.notBefore.getTime(), notAfter: cert.notAfter.getTime() });
    }
    return verdict;
  };
}

async function verify(cert: x509.X509Certificate, cas: x509.X509Certificate[], now: Date): Promise<CertificateVerdict> {
  try {
    if (now < cert.notBefore || now > cert.notAfter)
      return { error: "x509: certificate has expired or is not yet valid" };
    let signedByCa = false;
    for (const ca of cas) {
      if (ca.subject !== cert.issuer) continue;
      if (await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }).catch(() => false)) {
        signedByCa = true;
        break;
      }
    }
    if (!signedByCa) return { error: "x509: certificate signed by unknown authority" };
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
    if (eku && !eku.usages.map(String).includes(CLIENT_AUTH_OID)) {
      return { error: "x509: certificate specifies an incompatible key usage" };
    }
    const username = cert.subjectName.getField("CN")[0];
    if (!username) return { error: "x509: certificate has no common name" };
    const groups = [...cert.subjectName.getField("O"), "system:authenticated"];
    return { user: { username, groups } };
  } catch {
    return { error: "x509: malformed certificate" };
  }
}
