import { beforeAll, expect, test } from "bun:test";
import type { Pod, Secret, ServiceAccount } from "../api/types.ts";
import { createAuthenticator } from "./authenticate.ts";
import type { ServerPki } from "./pki.ts";
import { tempDirs, testPki } from "./testing.ts";
import { legacyTokenSecretData, serveTokenRequest } from "./token-request.ts";

const tempDir = tempDirs("tokenreq");

let dir: string;
let pki: ServerPki;
const sa: ServiceAccount = { metadata: { name: "builder", namespace: "ci", uid: "sa-1" } };
const pods = new Map<string, Pod>();
const secrets = new Map<string, Secret>();
const lookup = {
  pod: async (_ns: string, name: string) => pods.get(name),
  secret: async (_ns: string, name: string) => secrets.get(name),
  serviceAccount: async () => sa,
  node: async (name: string) => ({ metadata: { name, uid: "node-uid" } }),
};
const audiences = ["https://kubernetes.default.svc.cluster.local"];

beforeAll(async () => {
  dir = await tempDir();
  pki = await testPki(dir);
});

const request = (spec: object) =>
  serveTokenRequest({
    signingKeyPem: pki.saSigningKeyPem,
    apiAudiences: audiences,
    serviceAccount: sa,
    request: { spec } as never,
    lookup,
  });

test("a pod-bound token authenticates until the pod is gone", async () => {
  pods.set("job-1", {
    metadata: { name: "job-1", namespace: "ci", uid: "pod-1" },
    spec: { serviceAccountName: "builder", nodeName: "n1", containers: [] },
  });
  const result = await request({ audiences: [], boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "job-1" } });
  if (!("tokenRequest" in result)) throw new Error(result.message);
  expect(result.tokenRequest.spec.expirationSeconds).toBe(3600);
  const auth = createAuthenticator({
    clientCaPem: pki.clientCaCertPem,
    saVerifyKeyPem: pki.saVerifyKeyPem,
    lookup,
    tokenCacheMs: 0,
  });
  const who = await auth.authenticateToken(result.tokenRequest.status?.token ?? "");
  expect(who).toHaveProperty("user.extra", {
    "authentication.kubernetes.io/pod-name": ["job-1"],
    "authentication.kubernetes.io/pod-uid": ["pod-1"],
    "authentication.kubernetes.io/node-name": ["n1"],
    "authentication.kubernetes.io/node-uid": ["node-uid"],
    "authentication.kubernetes.io/credential-id": [expect.stringMatching(/^JTI=/)],
  });
  pods.delete("job-1");
  expect(await auth.authenticateToken(result.tokenRequest.status?.token ?? "")).toHaveProperty("error");
});

test("upstream's refusals", async () => {
  expect(await request({ audiences: [], expirationSeconds: 60 })).toMatchObject({
    code: 422,
    message: expect.stringContaining("less than 10 minutes"),
  });
  expect(await request({ audiences: [], boundObjectRef: { kind: "Pod", name: "nope" } })).toMatchObject({ code: 404 });
  expect(await request({ audiences: [], boundObjectRef: { kind: "ConfigMap", name: "x" } })).toMatchObject({
    code: 400,
  });
  pods.set("other", {
    metadata: { name: "other", uid: "p2" },
    spec: { serviceAccountName: "default", containers: [] },
  });
  expect(await request({ audiences: [], boundObjectRef: { kind: "Pod", name: "other" } })).toMatchObject({
    code: 400,
    message: expect.stringContaining("different serviceaccount"),
  });
  expect(await request({ audiences: [], boundObjectRef: { kind: "Pod", name: "other", uid: "stale" } })).toMatchObject({
    code: 400,
  });
});

test("legacy token secret data authenticates while the secret holds it", async () => {
  const data = await legacyTokenSecretData({
    signingKeyPem: pki.saSigningKeyPem,
    serviceAccount: sa,
    secretName: "builder-token",
    caPem: pki.serverCaCertPem,
  });
  secrets.set("builder-token", { metadata: { name: "builder-token" }, data });
  const auth = createAuthenticator({
    clientCaPem: pki.clientCaCertPem,
    saVerifyKeyPem: pki.saVerifyKeyPem,
    lookup,
    tokenCacheMs: 0,
  });
  const token = Buffer.from(data.token as string, "base64").toString();
  expect(await auth.authenticateToken(token)).toHaveProperty("user.username", "system:serviceaccount:ci:builder");
  expect(Buffer.from(data.namespace as string, "base64").toString()).toBe("ci");
});
