// The one place that loads @peculiar/x509: it needs the reflect-metadata polyfill before its first import and
// WebCrypto as its provider. Also small PEM/key helpers shared by the PKI, join and authenticator code.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

export { x509 };

/** Key generation and signing parameters: ECDSA P-256 with SHA-256 everywhere (as k3s). */
export const EC_KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
export const EC_SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

export async function publicKeyToPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("spki", key), "PUBLIC KEY");
}

export function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(pem), EC_KEY_ALGORITHM, true, ["sign"]);
}

/** Derives the public key of a PKCS8 EC private key (WebCrypto cannot, so go through JWK and drop `d`). */
export async function publicKeyPemFromPrivatePem(pem: string): Promise<string> {
  const jwk = await crypto.subtle.exportKey("jwk", await importPrivateKeyPem(pem));
  const { d: _private, key_ops: _ops, ...publicJwk } = jwk;
  const key = await crypto.subtle.importKey("jwk", publicJwk, EC_KEY_ALGORITHM, true, ["verify"]);
  return publicKeyToPem(key);
}

/** A positive random serial number (the top bit clear keeps DER INTEGER positive without padding). */
export function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

/** Every certificate in a PEM text, in order; garbage yields an empty list rather than a throw. */
export function parseCertificates(pem: string): x509.X509Certificate[] {
  try {
    return x509.PemConverter.decode(pem).map((der) => new x509.X509Certificate(der));
  } catch {
    return [];
  }
}

export function certToPem(cert: x509.X509Certificate): string {
  return `${cert.toString("pem").trim()}\n`;
}
