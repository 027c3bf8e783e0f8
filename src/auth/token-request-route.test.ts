import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KubeObject, UserInfo } from "../api/types.ts";
import { type ApiServer, createApiServer } from "../apiserver/app.ts";
import { openStore } from "../store/index.ts";
import type { Store } from "../store/types.ts";
import { createAuthenticator } from "./authenticate.ts";
import type { ServerPki } from "./pki.ts";
import { tempDirs, testPki } from "./testing.ts";
import { tokenRequestHandler } from "./token-request-route.ts";

const tempDir = tempDirs("tokenroute");

let dir: string;
let store: Store;
let api: ApiServer;
let pki: ServerPki;
const admin: UserInfo = { username: "system:admin", groups: ["system:masters", "system:authenticated"] };

async function call(method: string, path: string, body?: unknown) {
  const res = await api.app.fetch(
    new Request(`http://in-process${path}`, {
      method,
      headers: { "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { user: admin },
  );
  return { status: res.status, body: (await res.json()) as KubeObject };
}

// biome-ignore lint/suspicious/noExplicitAny: the lookups want specific kinds; the API answers JSON
async function getObject(path: string): Promise<any> {
  const r = await call("GET", path);
  return r.status === 200 ? r.body : undefined;
}

beforeAll(async () => {
  dir = await tempDir();
  store = await openStore({ dataDir: dir });
  pki = await testPki(dir);
  api = createApiServer({ store, serviceCidr: "10.43.0.0/16" });
  api.subresources.set(
    "serviceaccounts/token",
    tokenRequestHandler({
      signingKeyPem: pki.saSigningKeyPem,
      apiAudiences: ["https://kubernetes.default.svc.cluster.local"],
      lookup: {
        serviceAccount: async (ns, name) => getObject(`/api/v1/namespaces/${ns}/serviceaccounts/${name}`),
        pod: async (ns, name) => getObject(`/api/v1/namespaces/${ns}/pods/${name}`),
        secret: async (ns, name) => getObject(`/api/v1/namespaces/${ns}/secrets/${name}`),
      },
    }),
  );
  await call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  await call("POST", "/api/v1/namespaces/default/serviceaccounts", {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "bot" },
  });
});
afterAll(async () => {
  await store?.close();
});

test("POST serviceaccounts/<name>/token returns a token that authenticates as the ServiceAccount", async () => {
  const r = await call("POST", "/api/v1/namespaces/default/serviceaccounts/bot/token", {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { audiences: [], expirationSeconds: 3600 },
  });
  expect(r.status).toBe(201);
  expect(r.body.kind).toBe("TokenRequest");
  const auth = createAuthenticator({
    clientCaPem: pki.clientCaCertPem,
    saVerifyKeyPem: pki.saVerifyKeyPem,
    lookup: {
      serviceAccount: async (ns, name) => getObject(`/api/v1/namespaces/${ns}/serviceaccounts/${name}`),
      pod: async () => undefined,
      secret: async () => undefined,
    },
  });
  expect(await auth.authenticateToken(r.body.status.token)).toHaveProperty(
    "user.username",
    "system:serviceaccount:default:bot",
  );
});

test("errors: unknown ServiceAccount 404, too short 422 with upstream's message, missing pod 404", async () => {
  expect(
    (await call("POST", "/api/v1/namespaces/default/serviceaccounts/ghost/token", { spec: { audiences: [] } })).status,
  ).toBe(404);
  const short = await call("POST", "/api/v1/namespaces/default/serviceaccounts/bot/token", {
    spec: { audiences: [], expirationSeconds: 60 },
  });
  expect(short.status).toBe(422);
  expect(short.body.message).toContain(
    "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes",
  );
  const noPod = await call("POST", "/api/v1/namespaces/default/serviceaccounts/bot/token", {
    spec: { audiences: [], boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "nope" } },
  });
  expect(noPod.status).toBe(404);
  expect(noPod.body.message).toBe('pods "nope" not found');
});
