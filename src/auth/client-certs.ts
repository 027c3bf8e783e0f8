// Client certificates the server keeps on disk (admin, and any component that talks to the API over HTTPS):
// <dataDir>/server/tls/client-<name>.crt/.key, reused across restarts and re-issued when near expiry, when the
// client CA changed, or when the wanted identity changed.
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { readIfExists, SECRET_FILE_MODE, writeFileAtomic, writeSecretFile } from "./files.ts";
import {
  type CertAndKey,
  certExpiresWithin,
  issueClientCert,
  keyMatchesCert,
  RENEW_BEFORE_DAYS,
  type ServerPki,
} from "./pki.ts";
import { parseCertificates } from "./x509.ts";

export interface ClientIdentity {
  /** File stem: client-<name>.crt */
  name: string;
  commonName: string;
  organizations: string[];
}

export const ADMIN_IDENTITY: ClientIdentity = {
  name: "admin",
  commonName: "system:admin",
  organizations: ["system:masters"],
};

export async function ensureClientCert(
  pki: Pick<ServerPki, "clientCaCertPem" | "clientCaKeyPem" | "paths">,
  identity: ClientIdentity,
): Promise<CertAndKey & { certPath: string; keyPath: string }> {
  const certPath = join(pki.paths.dir, `client-${identity.name}.crt`);
  const keyPath = join(pki.paths.dir, `client-${identity.name}.key`);
  const certPem = await readIfExists(certPath);
  const keyPem = await readIfExists(keyPath);
  if (
    certPem &&
    keyPem &&
    (await stillGood(certPem, pki.clientCaCertPem, identity)) &&
    (await keyMatchesCert(keyPem, certPem))
  ) {
    await chmod(keyPath, SECRET_FILE_MODE);
    return { certPem, keyPem, certPath, keyPath };
  }
  const issued = await issueClientCert(pki, { commonName: identity.commonName, organizations: identity.organizations });
  await writeSecretFile(keyPath, issued.keyPem);
  await writeFileAtomic(certPath, issued.certPem, 0o644);
  return { ...issued, certPath, keyPath };
}

async function stillGood(certPem: string, clientCaPem: string, identity: ClientIdentity): Promise<boolean> {
  const cert = parseCertificates(certPem)[0];
  const ca = parseCertificates(clientCaPem)[0];
  if (!cert || !ca || certExpiresWithin(certPem, RENEW_BEFORE_DAYS)) return false;
  if (cert.subjectName.getField("CN")[0] !== identity.commonName) return false;
  const orgs = cert.subjectName.getField("O");
  if (orgs.length !== identity.organizations.length || orgs.some((o, i) => o !== identity.organizations[i]))
    return false;
  return cert.verify({ publicKey: ca.publicKey, signatureOnly: true }).catch(() => false);
}
