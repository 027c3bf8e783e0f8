import { beforeAll, describe, expect, test } from "bun:test";
import type { Pod, Secret, ServiceAccount } from "../api/types.ts";
import { type Authenticator, bearerToken, createAuthenticator, signServiceAccountToken } from "./authenticate.ts";
import { bootstrapTokenSecret } from "./bootstrap-token.ts";
import { issueClientCert, type ServerPki } from "./pki.ts";
import { tempDirs, testPki } from "./testing.ts";
import { generateKeyPair, privateKeyToPem, x509 } from "./x509.ts";

const tempDir = tempDirs("authn");

let dir: string;
let pki: ServerPki;
let auth: Authenticator;
const objects = new Map<string, Secret | Pod | ServiceAccount>();
const sa = { namespace: "default", name: "builder", uid: "sa-uid-1" };

beforeAll(async () => {
  dir = await tempDir();
  pki = await testPki(dir);
  auth = createAuthenticator({
    clientCaPem: pki.clientCaCertPem,
    saVerifyKeyPem: pki.saVerifyKeyPem,
    tokenCacheMs: 0, // these tests revoke tokens and expect the very next request to notice
    lookup: {
      secret: async (ns, name) => objects.get(`secret/${ns}/${name}`) as Secret | undefined,
      pod: async (ns, name) => objects.get(`pod/${ns}/${name}`) as Pod | undefined,
      serviceAccount: async (ns, name) => objects.get(`sa/${ns}/${name}`) as ServiceAccount | undefined,
    },
  });
  objects.set("sa/default/builder", { metadata: { name: "builder", namespace: "default", uid: sa.uid } });
});

const der = (pem: string) => Buffer.from(x509.PemConverter.decodeFirst(pem));
const bearer = (token: string) => ({ peerAuthorized: false, authorization: `Bearer ${token}` });

describe("x509", () => {
  test("a client-CA certificate yields CN and O groups", async () => {
    const { certPem } = await issueClientCert(pki, { commonName: "alice", organizations: ["dev", "ops"] });
    const result = await auth.authenticate({ peerCertificate: { raw: der(certPem) }, peerAuthorized: true });
    expect(result).toEqual({ user: { username: "alice", groups: ["dev", "ops", "system:authenticated"] } });
    // cached path answers the same
    expect(await auth.authenticate({ peerCertificate: { raw: der(certPem) }, peerAuthorized: true })).toEqual(result);
  });

  test("certificates not from the client CA, unauthorized, expired or garbage are errors", async () => {
    const serverCaSigned = der(pki.servingCertPem);
    expect(await auth.authenticate({ peerCertificate: { raw: serverCaSigned }, peerAuthorized: true })).toHaveProperty(
      "error",
    );
    const { certPem } = await issueClientCert(pki, { commonName: "bob", organizations: [] });
    expect(await auth.authenticate({ peerCertificate: { raw: der(certPem) }, peerAuthorized: false })).toHaveProperty(
      "error",
    );
    const expired = await issueClientCert(pki, { commonName: "old", organizations: [], validDays: -1 });
    expect(
      await auth.authenticate({ peerCertificate: { raw: der(expired.certPem) }, peerAuthorized: true }),
    ).toHaveProperty("error");
    for (const raw of [Buffer.from("garbage"), Buffer.alloc(5000, 0x30), der(certPem).subarray(0, 100)]) {
      expect(await auth.authenticate({ peerCertificate: { raw }, peerAuthorized: true })).toHaveProperty("error");
    }
  });

  test("no credentials is anonymous; an empty peer certificate object counts as none", async () => {
    expect(await auth.authenticate({ peerAuthorized: false })).toBeNull();
    expect(await auth.authenticate({ peerCertificate: {}, peerAuthorized: false })).toBeNull();
    expect(await auth.authenticate({ peerAuthorized: false, authorization: "Basic Zm9vOmJhcg==" })).toBeNull();
  });
});

describe("ServiceAccount tokens", () => {
  const sign = (req: Parameters<typeof signServiceAccountToken>[1], now?: Date) =>
    signServiceAccountToken({ signingKeyPem: pki.saSigningKeyPem, now }, req).then((r) => r.token);

  test("legacy token valid while its Secret holds it", async () => {
    const token = await sign({ kind: "legacy", serviceAccount: sa, secretName: "builder-token" });
    objects.set("secret/default/builder-token", { metadata: { name: "builder-token" }, data: { token: btoa(token) } });
    const result = await auth.authenticate(bearer(token));
    expect(result).toEqual({
      user: {
        username: "system:serviceaccount:default:builder",
        uid: sa.uid,
        groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
      },
    });
    objects.delete("secret/default/builder-token");
    expect(await auth.authenticate(bearer(token))).toHaveProperty("error");
  });

  test("bound token: valid with its pod; invalid once the pod is gone or replaced", async () => {
    objects.set("pod/default/web", { metadata: { name: "web", namespace: "default", uid: "pod-uid-1" } });
    const token = await sign({
      kind: "bound",
      serviceAccount: sa,
      audiences: ["https://kubernetes.default.svc.cluster.local"],
      boundObject: { kind: "Pod", name: "web", uid: "pod-uid-1" },
      node: { name: "n1", uid: "node-uid" },
    });
    const ok = await auth.authenticate(bearer(token));
    expect(ok && "user" in ok && ok.user.extra?.["authentication.kubernetes.io/pod-name"]).toEqual(["web"]);
    objects.set("pod/default/web", { metadata: { name: "web", namespace: "default", uid: "pod-uid-2" } });
    expect(await auth.authenticate(bearer(token))).toHaveProperty("error");
    objects.delete("pod/default/web");
    expect(await auth.authenticate(bearer(token))).toHaveProperty("error");
  });

  test("bound token: wrong audience, expired, recreated SA are refused", async () => {
    const base = {
      kind: "bound" as const,
      serviceAccount: sa,
      audiences: ["https://kubernetes.default.svc.cluster.local"],
    };
    expect(await auth.authenticate(bearer(await sign({ ...base, audiences: ["vault"] })))).toHaveProperty("error");
    const review = await auth.authenticateToken(await sign({ ...base, audiences: ["vault"] }), ["vault"]);
    expect(review).toHaveProperty("user");
    const old = await sign({ ...base, expirationSeconds: 600 }, new Date(Date.now() - 3600_000));
    expect(await auth.authenticate(bearer(old))).toHaveProperty("error");
    const other = await sign({ ...base, serviceAccount: { ...sa, uid: "stale" } });
    expect(await auth.authenticate(bearer(other))).toHaveProperty("error");
  });

  test("malformed, alg=none, truncated, foreign-key and oversized tokens are errors, never throws", async () => {
    const good = await sign({
      kind: "bound",
      serviceAccount: sa,
      audiences: ["https://kubernetes.default.svc.cluster.local"],
    });
    const [, payload] = good.split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    const foreignKey = await privateKeyToPem((await generateKeyPair()).privateKey);
    const foreign = (
      await signServiceAccountToken(
        { signingKeyPem: foreignKey },
        { kind: "bound", serviceAccount: sa, audiences: ["https://kubernetes.default.svc.cluster.local"] },
      )
    ).token;
    const bad = [
      none,
      good.slice(0, -10),
      foreign,
      "a.b.c",
      "....",
      "not-a-token",
      "x".repeat(100_000),
      "",
      "\u0000\u0001",
    ];
    for (const token of bad) expect(await auth.authenticate(bearer(token))).toHaveProperty("error");
  });
});

describe("bootstrap tokens", () => {
  test("valid, expired, wrong secret", async () => {
    const token = { id: "abcdef", secret: "0123456789abcdef" };
    objects.set("secret/kube-system/bootstrap-token-abcdef", bootstrapTokenSecret({ token, ttlSeconds: 3600 }));
    const ok = await auth.authenticate(bearer("abcdef.0123456789abcdef"));
    expect(ok).toEqual({
      user: {
        username: "system:bootstrap:abcdef",
        groups: ["system:bootstrappers", "system:bootstrappers:k3lite:default-node-token", "system:authenticated"],
      },
    });
    expect(await auth.authenticate(bearer("abcdef.0123456789abcde0"))).toHaveProperty("error");
    objects.set(
      "secret/kube-system/bootstrap-token-abcdef",
      bootstrapTokenSecret({ token, ttlSeconds: 60, now: new Date(Date.now() - 120_000) }),
    );
    const expired = await auth.authenticate(bearer("abcdef.0123456789abcdef"));
    expect(expired && "error" in expired && expired.error).toContain("expired");
  });
});

test("bearerToken", () => {
  expect(bearerToken("Bearer abc")).toBe("abc");
  expect(bearerToken("bearer   abc  ")).toBe("abc");
  expect(bearerToken("Basic abc")).toBeUndefined();
  expect(bearerToken(undefined)).toBeUndefined();
});

test("failed token attempts are rate limited per address; certificates still work from a blocked address", async () => {
  const { createAuthRateLimiter } = await import("./ratelimit.ts");
  const limited = createAuthenticator({
    clientCaPem: pki.clientCaCertPem,
    saVerifyKeyPem: pki.saVerifyKeyPem,
    lookup: { secret: async () => undefined, pod: async () => undefined, serviceAccount: async () => undefined },
    rateLimiter: createAuthRateLimiter({ maxFailures: 3 }),
  });
  const attempt = (clientAddress: string) =>
    limited.authenticate({ peerAuthorized: false, authorization: "Bearer abcdef.0123456789abcdef", clientAddress });
  for (let i = 0; i < 3; i++) expect(await attempt("203.0.113.9")).not.toHaveProperty("retryAfterSeconds");
  expect(await attempt("203.0.113.9")).toHaveProperty("retryAfterSeconds");
  expect(await attempt("203.0.113.10")).not.toHaveProperty("retryAfterSeconds");
  const { certPem } = await issueClientCert(pki, { commonName: "carol", organizations: [] });
  const viaCert = await limited.authenticate({
    peerCertificate: { raw: der(certPem) },
    peerAuthorized: true,
    clientAddress: "203.0.113.9",
  });
  expect(viaCert).toHaveProperty("user.username", "carol");
});

test("successful token authentications are cached briefly (as kube-apiserver), failures are not", async () => {
  let lookups = 0;
  const cached = createAuthenticator({
    clientCaPem: pki.clientCaCertPem,
    saVerifyKeyPem: pki.saVerifyKeyPem,
    tokenCacheMs: 200,
    lookup: {
      secret: async () => undefined,
      pod: async () => undefined,
      serviceAccount: async () => {
        lookups++;
        return { metadata: { uid: sa.uid } };
      },
    },
  });
  const { token } = await signServiceAccountToken(
    { signingKeyPem: pki.saSigningKeyPem },
    { kind: "bound", serviceAccount: sa, audiences: ["https://kubernetes.default.svc.cluster.local"] },
  );
  for (let i = 0; i < 5; i++) expect(await cached.authenticate(bearer(token))).toHaveProperty("user");
  expect(lookups).toBe(1);
  const deadline = Date.now() + 10_000;
  while (lookups === 1 && Date.now() < deadline) {
    await Bun.sleep(50);
    await cached.authenticate(bearer(token));
  }
  expect(lookups).toBe(2);
  for (let i = 0; i < 3; i++) await cached.authenticate(bearer("abcdef.0123456789abcdef"));
});
