// The certificate the ingress presents when no Ingress's TLS Secret matches the server name: self-signed and made
// at start, like Traefik's "TRAEFIK DEFAULT CERT" (clients see it is not for their host; nothing is kept on disk).

import { EC_SIGNING_ALGORITHM, generateKeyPair, privateKeyToPem, randomSerialNumber, x509 } from "../../auth/x509.ts";

export const DEFAULT_CERT_CN = "K3LITE DEFAULT CERT";

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export function createDefaultCertificate(): Promise<KeyPairPem> {
  return createSelfSignedCertificate(DEFAULT_CERT_CN);
}

/** A self-signed ECDSA certificate valid for a year, for `dnsNames` when given (tests make Ingress Secrets so). */
export async function createSelfSignedCertificate(cn: string, dnsNames: string[] = []): Promise<KeyPairPem> {
  const keys = await generateKeyPair();
  const now = Date.now();
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (dnsNames.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        dnsNames.map((value) => ({ type: "dns", value }) as x509.JsonGeneralName),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=${cn}`,
    notBefore: new Date(now - 60 * 60 * 1000),
    notAfter: new Date(now + 365 * 24 * 60 * 60 * 1000),
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    keys,
    extensions,
  });
  return { certPem: cert.toString("pem"), keyPem: await privateKeyToPem(keys.privateKey) };
}
