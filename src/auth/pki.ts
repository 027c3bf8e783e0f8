// The server's PKI under <dataDir>/server/tls/: a server CA (signs the serving certificate), a client CA (signs
// client certificates: admin, nodes, components) and the ServiceAccount token signing key. Idempotent: created on
// first start, reused afterwards; leaf certificates are renewed near expiry and when the wanted SANs change.
import { chmod } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { readIfExists, SECRET_FILE_MODE, writeFileAtomic, writeSecretFile } from "./files.ts";
import {
  certToPem,
  EC_SIGNING_ALGORITHM,
  generateKeyPair,
  importPrivateKeyPem,
  parseCertificates,
  privateKeyToPem,
  publicKeyPemFromPrivatePem,
  randomSerialNumber,
  x509,
} from "./x509.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALID_DAYS = 3650;
const LEAF_VALID_DAYS = 365;
/** Leaf certificates closer than this to expiry are re-issued (as k3s does). */
export const RENEW_BEFORE_DAYS = 90;
/** Backdating absorbs clock skew between server and clients. */
const BACKDATE_MS = 60 * 60 * 1000;

export interface ServerPkiPaths {
  dir: string;
  serverCaCert: string;
  serverCaKey: string;
  clientCaCert: string;
  clientCaKey: string;
  servingCert: string;
  servingKey: string;
  saSigningKey: string;
  saVerifyKey: string;
  caBundle: string;
}

export interface ServerPki {
  serverCaCertPem: string;
  serverCaKeyPem: string;
  clientCaCertPem: string;
  clientCaKeyPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  /** PKCS8 private key that signs ServiceAccount tokens. */
  saSigningKeyPem: string;
  /** SPKI public key that verifies ServiceAccount tokens. */
  saVerifyKeyPem: string;
  /** Server CA + client CA: what /cacerts serves and what the join token hashes. */
  caBundlePem: string;
  paths: ServerPkiPaths;
}

export interface ServerPkiOptions {
  dataDir: string;
  nodeName: string;
  /** Extra DNS names and IP addresses, mixed (e.g. --tls-san, node IPs). */
  sans: string[];
  clusterDomain: string;
  firstServiceIp: string;
}

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export function serverPkiPaths(dataDir: string): ServerPkiPaths {
  const dir = join(dataDir, "server", "tls");
  return {
    dir,
    serverCaCert: join(dir, "server-ca.crt"),
    serverCaKey: join(dir, "server-ca.key"),
    clientCaCert: join(dir, "client-ca.crt"),
    clientCaKey: join(dir, "client-ca.key"),
    servingCert: join(dir, "serving-kube-apiserver.crt"),
    servingKey: join(dir, "serving-kube-apiserver.key"),
    saSigningKey: join(dir, "service.key"),
    saVerifyKey: join(dir, "service.pub"),
    caBundle: join(dir, "ca-bundle.crt"),
  };
}

/** The names the serving certificate must cover, de-duplicated, in a stable order. */
export function servingCertSans(opts: Omit<ServerPkiOptions, "dataDir">): string[] {
  const names = [
    "127.0.0.1",
    "localhost",
    opts.nodeName,
    ...opts.sans,
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    `kubernetes.default.svc.${opts.clusterDomain}`,
    opts.firstServiceIp,
  ];
  return [...new Set(names.map(normalizeSan).filter((n) => n !== ""))];
}

export async function ensureServerPki(opts: ServerPkiOptions): Promise<ServerPki> {
  const paths = serverPkiPaths(opts.dataDir);
  const serverCa = await ensureCa(paths.serverCaCert, paths.serverCaKey, "k3lite-server-ca");
  const clientCa = await ensureCa(paths.clientCaCert, paths.clientCaKey, "k3lite-client-ca");
  const serving = await ensureServingCert(paths, serverCa, servingCertSans(opts));
  const sa = await ensureServiceAccountKey(paths);
  const caBundlePem = serverCa.certPem + clientCa.certPem;
  if ((await readIfExists(paths.caBundle)) !== caBundlePem) await writeFileAtomic(paths.caBundle, caBundlePem, 0o644);
  return {
    serverCaCertPem: serverCa.certPem,
    serverCaKeyPem: serverCa.keyPem,
    clientCaCertPem: clientCa.certPem,
    clientCaKeyPem: clientCa.keyPem,
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    saSigningKeyPem: sa.privatePem,
    saVerifyKeyPem: sa.publicPem,
    caBundlePem,
    paths,
  };
}

/** Issues a client certificate (clientAuth) from the client CA: CN is the user, O the groups. */
export function issueClientCert(
  pki: Pick<ServerPki, "clientCaCertPem" | "clientCaKeyPem">,
  opts: { commonName: string; organizations: string[]; validDays?: number },
): Promise<CertAndKey> {
  return issueLeafCert(
    { certPem: pki.clientCaCertPem, keyPem: pki.clientCaKeyPem },
    {
      subject: subjectName(opts.commonName, opts.organizations),
      validDays: opts.validDays ?? LEAF_VALID_DAYS,
      usage: x509.ExtendedKeyUsage.clientAuth,
    },
  );
}

/** True when the certificate is unreadable or expires within `days` (so it should be re-issued). */
export function certExpiresWithin(certPem: string, days: number, now = new Date()): boolean {
  const cert = parseCertificates(certPem)[0];
  if (!cert) return true;
  return cert.notAfter.getTime() - now.getTime() < days * DAY_MS;
}

async function ensureCa(certPath: string, keyPath: string, commonName: string): Promise<CertAndKey> {
  const certPem = await readIfExists(certPath);
  const keyPem = await readIfExists(keyPath);
  if (certPem && keyPem && parseCertificates(certPem)[0]) {
    await chmod(keyPath, SECRET_FILE_MODE);
    return { certPem, keyPem };
  }
  const keys = await generateKeyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: subjectName(`${commonName}@${Math.floor(now / 1000)}`, []),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALID_DAYS * DAY_MS),
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const created = { certPem: certToPem(cert), keyPem: await privateKeyToPem(keys.privateKey) };
  await writeSecretFile(keyPath, created.keyPem);
  await writeFileAtomic(certPath, created.certPem, 0o644);
  return created;
}

async function ensureServingCert(paths: ServerPkiPaths, ca: CertAndKey, sans: string[]): Promise<CertAndKey> {
  const certPem = await readIfExists(paths.servingCert);
  const keyPem = await readIfExists(paths.servingKey);
  if (certPem && keyPem && (await servingCertStillGood(certPem, ca, sans)) && (await keyMatchesCert(keyPem, certPem))) {
    await chmod(paths.servingKey, SECRET_FILE_MODE);
    return { certPem, keyPem };
  }
  const issued = await issueLeafCert(ca, {
    subject: subjectName("kube-apiserver", []),
    validDays: LEAF_VALID_DAYS,
    usage: x509.ExtendedKeyUsage.serverAuth,
    sans,
  });
  await writeSecretFile(paths.servingKey, issued.keyPem);
  await writeFileAtomic(paths.servingCert, issued.certPem, 0o644);
  return issued;
}

/** Reusable when signed by the current CA, not near expiry, and covering exactly the wanted names. */
async function servingCertStillGood(certPem: string, ca: CertAndKey, sans: string[]): Promise<boolean> {
  const cert = parseCertificates(certPem)[0];
  const caCert = parseCertificates(ca.certPem)[0];
  if (!cert || !caCert || certExpiresWithin(certPem, RENEW_BEFORE_DAYS)) return false;
  if (!(await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true }).catch(() => false))) return false;
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const have = (ext?.names.items ?? []).map((n) => normalizeSan(n.value)).sort();
  const want = [...sans].sort();
  return have.length === want.length && have.every((name, i) => name === want[i]);
}

async function issueLeafCert(
  ca: CertAndKey,
  opts: { subject: x509.JsonName; validDays: number; usage: string; sans?: string[] },
): Promise<CertAndKey> {
  const keys = await generateKeyPair();
  const certPem = await signLeafCert(ca, {
    subject: opts.subject,
    notAfter: new Date(Date.now() + opts.validDays * DAY_MS),
    usages: [opts.usage],
    sans: opts.sans,
    publicKey: keys.publicKey,
  });
  return { certPem, keyPem: await privateKeyToPem(keys.privateKey) };
}

/**
 * Signs a leaf certificate for someone else's public key (also the CSR signer's path): not a CA, digital
 * signature + key encipherment, the given extended key usages, IP/DNS SANs told apart automatically.
 */
export async function signLeafCert(
  ca: CertAndKey,
  opts: {
    subject: x509.JsonName | x509.Name | string;
    notAfter: Date;
    usages: string[];
    sans?: string[];
    publicKey: x509.PublicKeyType;
  },
): Promise<string> {
  const caCert = parseCertificates(ca.certPem)[0];
  if (!caCert) throw new Error("CA certificate is unreadable");
  const caKey = await importPrivateKeyPem(ca.keyPem);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(opts.usages),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (opts.sans?.length) {
    const names = opts.sans.map((value) => ({ type: isIP(value) ? "ip" : "dns", value }) as x509.JsonGeneralName);
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  // Never outlive the CA that signs it.
  const notAfter = new Date(Math.min(opts.notAfter.getTime(), caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: opts.subject,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - BACKDATE_MS),
    notAfter,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    publicKey: opts.publicKey,
    signingKey: caKey,
    extensions,
  });
  return certToPem(cert);
}

async function ensureServiceAccountKey(paths: ServerPkiPaths): Promise<{ privatePem: string; publicPem: string }> {
  let privatePem = await readIfExists(paths.saSigningKey);
  if (privatePem) {
    await chmod(paths.saSigningKey, SECRET_FILE_MODE);
  } else {
    privatePem = await privateKeyToPem((await generateKeyPair()).privateKey);
    await writeSecretFile(paths.saSigningKey, privatePem);
  }
  const publicPem = await publicKeyPemFromPrivatePem(privatePem);
  if ((await readIfExists(paths.saVerifyKey)) !== publicPem) await writeFileAtomic(paths.saVerifyKey, publicPem, 0o644);
  return { privatePem, publicPem };
}

/** False when the key is not the certificate's (e.g. a crash between writing the two files). */
export async function keyMatchesCert(keyPem: string, certPem: string): Promise<boolean> {
  const cert = parseCertificates(certPem)[0];
  if (!cert) return false;
  try {
    const fromKey = x509.PemConverter.decodeFirst(await publicKeyPemFromPrivatePem(keyPem));
    return Buffer.from(fromKey).equals(Buffer.from(cert.publicKey.rawData));
  } catch {
    return false;
  }
}

/** A distinguished name built structurally, so names with commas or '=' cannot inject attributes. */
function subjectName(commonName: string, organizations: string[]): x509.JsonName {
  const name: x509.JsonName = organizations.map((o) => ({ O: [o] }));
  name.push({ CN: [commonName] });
  return name;
}

/** IPv6 addresses have many spellings; compare them in one. DNS names are case-insensitive. */
function normalizeSan(value: string): string {
  const v = value.trim();
  if (isIP(v) === 6) return new URL(`http://[${v}]/`).hostname.slice(1, -1);
  return v.toLowerCase();
}

/**
 * Re-runs ensureServerPki daily (renewing leaf certificates near expiry) and reports when the serving
 * certificate changed so the listener can load it (tls.Server#setSecureContext). Returns a stop function.
 */
export function scheduleCertificateRenewal(
  opts: ServerPkiOptions,
  current: ServerPki,
  onRenewed: (pki: ServerPki) => void,
  onError: (err: Error) => void = () => {},
  intervalMs = DAY_MS,
): () => void {
  let servingCertPem = current.servingCertPem;
  const timer = setInterval(() => {
    ensureServerPki(opts).then((pki) => {
      if (pki.servingCertPem === servingCertPem) return;
      servingCertPem = pki.servingCertPem;
      onRenewed(pki);
    }, onError);
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
