import { expect, test } from "bun:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { openIdConfiguration, serviceAccountJwks, serviceAccountKeyId } from "./oidc-discovery.ts";
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
