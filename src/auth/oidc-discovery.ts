// ServiceAccount issuer discovery (upstream's /.well-known/openid-configuration and /openid/v1/jwks), so
// workloads and outside systems can verify ServiceAccount tokens with the public key alone.
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { exportJWK, importSPKI } from "jose";
import { x509 } from "./x509.ts";

export const OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration";
export const JWKS_PATH = "/openid/v1/jwks";

/** upstream's key id: base64url(sha256(DER of the public key)). */
export function serviceAccountKeyId(publicKeyPem: string): string {
  return createHash("sha256")
    .update(new Uint8Array(x509.PemConverter.decodeFirst(publicKeyPem)))
    .digest("base64url");
}

export async function serviceAccountJwks(publicKeyPem: string): Promise<{ keys: Record<string, unknown>[] }> {
  const jwk = await exportJWK(await importSPKI(publicKeyPem, "ES256", { extractable: true }));
  return { keys: [{ ...jwk, kid: serviceAccountKeyId(publicKeyPem), use: "sig", alg: "ES256" }] };
}

export function openIdConfiguration(issuer: string, jwksUri = `${issuer.replace(/\/+$/, "")}${JWKS_PATH}`) {
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["ES256"],
  };
}

/**
 * The two discovery documents as a Hono sub-app for the API server to mount at "/" (both paths are fixed).
 * Upstream serves them to group system:serviceaccounts (role system:service-account-issuer-discovery).
 */
export function createServiceAccountIssuerRoutes(opts: {
  issuer: string;
  saVerifyKeyPem: string;
  jwksUri?: string;
}): Hono {
  const app = new Hono();
  const config = JSON.stringify(openIdConfiguration(opts.issuer, opts.jwksUri));
  // Computed on first request (an eager promise that failed would be an unhandled rejection at startup).
  let jwks: Promise<string> | undefined;
  const json = { "content-type": "application/json" };
  app.get(OPENID_CONFIGURATION_PATH, (c) => c.body(config, 200, json));
  app.get(JWKS_PATH, async (c) => {
    jwks ??= serviceAccountJwks(opts.saVerifyKeyPem).then((doc) => JSON.stringify(doc));
    return c.body(await jwks, 200, { "content-type": "application/jwk-set+json" });
  });
  return app;
}
