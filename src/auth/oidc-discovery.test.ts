import { expect, test } from "bun:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import {
  createServiceAccountIssuerRoutes,
  openIdConfiguration,
  serviceAccountJwks,
  serviceAccountKeyId,
} from "./oidc-discovery.ts";
import { signServiceAccountToken } from "./serviceaccount-token.ts";
import { generateKeyPair, privateKeyToPem, publicKeyToPem } from "./x509.ts";

test("tokens carry the kid of the published JWKS and verify against it alone", async () => {
  const keys = await generateKeyPair();
  const privatePem = await privateKeyToPem(keys.privateKey);
  const publicPem = await publicKeyToPem(keys.publicKey);
  const { token } = await signServiceAccountToken(
    { signingKeyPem: privatePem },
    { kind: "bound", serviceAccount: { namespace: "ns", name: "sa", uid: "u" }, audiences: ["vault"] },
  );
  const jwks = await serviceAccountJwks(publicPem);
  expect(decodeProtectedHeader(token).kid).toBe(serviceAccountKeyId(publicPem));
  expect(jwks.keys[0]?.kid).toBe(serviceAccountKeyId(publicPem));
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), { audience: "vault" });
  expect(payload.sub).toBe("system:serviceaccount:ns:sa");
  expect(openIdConfiguration("https://kubernetes.default.svc.cluster.local").jwks_uri).toBe(
    "https://kubernetes.default.svc.cluster.local/openid/v1/jwks",
  );
});

test("the discovery routes serve the configuration and the key set", async () => {
  const keys = await generateKeyPair();
  const publicPem = await publicKeyToPem(keys.publicKey);
  const app = createServiceAccountIssuerRoutes({
    issuer: "https://kubernetes.default.svc.cluster.local",
    saVerifyKeyPem: publicPem,
  });
  const config = await (await app.request("/.well-known/openid-configuration")).json();
  expect(config).toMatchObject({
    issuer: "https://kubernetes.default.svc.cluster.local",
    id_token_signing_alg_values_supported: ["ES256"],
  });
  const jwks = (await (await app.request("/openid/v1/jwks")).json()) as { keys: { kid: string; kty: string }[] };
  expect(jwks.keys[0]).toMatchObject({ kid: serviceAccountKeyId(publicPem), kty: "EC" });
});
