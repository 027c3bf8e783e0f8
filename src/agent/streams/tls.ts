// The agent's serving certificate for its HTTPS port: self-signed (like the kubelet's default), covering the
// node name, node IP and loopback, kept in <dataDir>/agent/tls and re-created when the names change.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import {
  certToPem,
  EC_KEY_ALGORITHM,
  EC_SIGNING_ALGORITHM,
  privateKeyToPem,
  randomSerialNumber,
  x509,
} from "../../auth/x509.ts";

export async function ensureServingCert(dir: string, names: string[]): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, "serving-kubelet.crt");
  const keyPath = join(dir, "serving-kubelet.key");
  const namesPath = join(dir, "serving-kubelet.names");
  const wanted = [...new Set(names)].sort().join(",");
  if (
    existsSync(certPath) &&
    existsSync(keyPath) &&
    existsSync(namesPath) &&
    readFileSync(namesPath, "utf8") === wanted
  )
    return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
  const keys = (await crypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=${names[0] ?? "k3lite-agent"}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        [...new Set(names)].map((n) =>
          isIP(n) ? { type: "ip" as const, value: n } : { type: "dns" as const, value: n },
        ),
      ),
    ],
  });
  const out = { cert: certToPem(cert), key: await privateKeyToPem(keys.privateKey) };
  writeFileSync(keyPath, out.key, { mode: 0o600 });
  writeFileSync(certPath, out.cert);
  writeFileSync(namesPath, wanted);
  return out;
}
