import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import type { Secret } from "../api/types.ts";
import { bootstrapTokenSecret } from "./bootstrap-token.ts";
import { createJoinRoutes, JoinError, joinCluster } from "./join.ts";
import type { ServerPki } from "./pki.ts";
import { createAuthRateLimiter } from "./ratelimit.ts";
import { tempDirs, testPki } from "./testing.ts";
import { ensureServerToken, parseToken } from "./token.ts";
import { x509 } from "./x509.ts";
import { createX509Authenticator } from "./x509-authenticator.ts";

const tempDir = tempDirs("join");

let dir: string;
let pki: ServerPki;
let token: string;
let server: Server;
let url: string;
const requests: { path: string; authorization?: string }[] = [];
const secrets = new Map<string, Secret>();

beforeAll(async () => {
  dir = await tempDir();
  pki = await testPki(dir);
  token = await ensureServerToken(dir, pki.caBundlePem);
  const app = createJoinRoutes({
    pki,
    serverToken: () => token,
    bootstrapTokenSecret: async (id) => secrets.get(id),
    rateLimiter: createAuthRateLimiter({ maxFailures: 50 }),
  });
  // Keep the process-wide Request/Response: later test files in the same `bun test` process use Bun.serve.
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  server = createServer({ cert: pki.servingCertPem, key: pki.servingKeyPem }, (req, res) => {
    requests.push({ path: req.url ?? "", authorization: req.headers.authorization });
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.close();
});

async function expectJoinError(promise: Promise<unknown>, pattern: RegExp, retryable = false) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JoinError);
  expect((err as JoinError).message).toMatch(pattern);
  expect((err as JoinError).retryable).toBe(retryable);
}

describe("join", () => {
  test("with the full server token: node cert CN=system:node:<name>, O=system:nodes from the client CA", async () => {
    const result = await joinCluster({ server: url, token, nodeName: "agent-1" });
    expect(result.caPem).toBe(pki.caBundlePem);
    const raw = new Uint8Array(x509.PemConverter.decodeFirst(result.certPem));
    const verdict = await createX509Authenticator(pki.clientCaCertPem)(raw);
    expect(verdict).toEqual({
      user: { username: "system:node:agent-1", groups: ["system:nodes", "system:authenticated"] },
    });
    expect(result.keyPem).toContain("PRIVATE KEY");
  });

  test("a tampered CA hash is refused before any secret is sent", async () => {
    const { secret } = parseToken(token);
    const tampered = `K10${"ab".repeat(32)}::server:${secret}`;
    requests.length = 0;
    await expectJoinError(joinCluster({ server: url, token: tampered, nodeName: "evil" }), /do not match the hash/);
    expect(requests.map((r) => r.path)).toEqual(["/cacerts"]);
    expect(requests.some((r) => r.authorization !== undefined)).toBe(false);
  });

  test("a bare secret works with a warning; a wrong secret is one clear non-retryable error", async () => {
    const warnings: string[] = [];
    await joinCluster({
      server: url,
      token: parseToken(token).secret,
      nodeName: "agent-2",
      warn: (m) => warnings.push(m),
    });
    expect(warnings[0]).toMatch(/not verified/);
    const wrong = token.replace(/:[^:]+$/, ":wrongsecret");
    await expectJoinError(joinCluster({ server: url, token: wrong, nodeName: "agent-3" }), /invalid token/);
  });

  test("bootstrap tokens: valid joins, expired is refused", async () => {
    const bt = { id: "k3ltok", secret: "0123456789abcdef" };
    secrets.set(bt.id, bootstrapTokenSecret({ token: bt, ttlSeconds: 3600 }));
    const full = `${token.split("::")[0]}::${bt.id}.${bt.secret}`;
    await joinCluster({ server: url, token: full, nodeName: "agent-4" });
    secrets.set(bt.id, bootstrapTokenSecret({ token: bt, ttlSeconds: 60, now: new Date(Date.now() - 3600_000) }));
    await expectJoinError(joinCluster({ server: url, token: full, nodeName: "agent-5" }), /expired/);
  });

  test("bad node names are refused; unreachable servers are retryable", async () => {
    await expectJoinError(joinCluster({ server: url, token, nodeName: "Bad_Name" }), /invalid node name/);
    await expectJoinError(joinCluster({ server: "https://127.0.0.1:1", token, nodeName: "x" }), /cannot reach/, true);
  });

  test("rate limiting after repeated failures", async () => {
    const app = createJoinRoutes({
      pki,
      serverToken: () => token,
      bootstrapTokenSecret: async () => undefined,
      rateLimiter: createAuthRateLimiter({ maxFailures: 2 }),
      clientAddress: () => "192.0.2.1",
    });
    const attempt = () =>
      app.request("/v1-k3lite/node-cert", { method: "POST", headers: { authorization: "Bearer nope" }, body: "{}" });
    expect((await attempt()).status).toBe(401);
    expect((await attempt()).status).toBe(401);
    const blocked = await attempt();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

test("joinCredential reads Basic node:<token> and Bearer", async () => {
  const { joinCredential } = await import("./join-routes.ts");
  expect(joinCredential(`Basic ${btoa("node:K10abc::server:s:x")}`)).toBe("K10abc::server:s:x");
  expect(joinCredential("Bearer abc")).toBe("abc");
  expect(joinCredential(`Basic ${btoa("nocolon")}`)).toBeUndefined();
  expect(joinCredential(undefined)).toBeUndefined();
});

test("node passwords: first join records, a different password for the same name is refused", async () => {
  const { ensureNodePassword } = await import("./node-password.ts");
  const stored = new Map<string, Secret>();
  const app = createJoinRoutes({
    pki,
    serverToken: () => token,
    bootstrapTokenSecret: async () => undefined,
    nodePasswords: {
      get: async (node) => stored.get(node),
      create: async (secret) => {
        stored.set(secret.metadata?.name?.split(".")[0] as string, secret);
      },
    },
  });
  const attempt = (nodeName: string, nodePassword?: string) =>
    app.request("/v1-k3lite/node-cert", {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`node:${token}`)}` },
      body: JSON.stringify({ nodeName, nodePassword }),
    });
  const password = await ensureNodePassword(join(dir, "agent", "node-password"));
  expect(await ensureNodePassword(join(dir, "agent", "node-password"))).toBe(password);
  expect((await attempt("box-1", password)).status).toBe(200);
  expect((await attempt("box-1", password)).status).toBe(200);
  const hijack = await attempt("box-1", "someone-elses-password");
  expect(hijack.status).toBe(403);
  expect(((await hijack.json()) as { message: string }).message).toMatch(/node password rejected/);
  expect((await attempt("box-2")).status).toBe(400);
});

test("ensureAgentCredentials joins once, then reuses the stored certificate", async () => {
  const { ensureAgentCredentials, agentCredentialPaths } = await import("./agent-credentials.ts");
  const agentDir = join(dir, "agent-creds");
  const first = await ensureAgentCredentials({ dataDir: agentDir, server: url, token, nodeName: "worker-1" });
  expect(first.joined).toBe(true);
  requests.length = 0;
  const again = await ensureAgentCredentials({ dataDir: agentDir, server: url, token, nodeName: "worker-1" });
  expect(again).toMatchObject({ joined: false, certPem: first.certPem });
  expect(requests).toHaveLength(0);
  const renamed = await ensureAgentCredentials({ dataDir: agentDir, server: url, token, nodeName: "worker-2" });
  expect(renamed.joined).toBe(true);
  const { stat } = await import("node:fs/promises");
  expect((await stat(agentCredentialPaths(agentDir).key)).mode & 0o777).toBe(0o600);
  expect((await stat(agentCredentialPaths(agentDir).nodePassword)).mode & 0o777).toBe(0o600);
});

test("joinClusterWithBackoff retries unreachable servers with growing delays and stops when aborted", async () => {
  const { joinClusterWithBackoff } = await import("./join-client.ts");
  const delays: number[] = [];
  const controller = new AbortController();
  const err = await joinClusterWithBackoff({
    server: "https://127.0.0.1:1",
    token,
    nodeName: "x",
    signal: controller.signal,
    maxDelayMs: 4000,
    onRetry: (_e, ms) => {
      delays.push(ms);
      if (delays.length === 3) controller.abort();
    },
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JoinError);
  expect(delays).toEqual([1000, 2000, 4000]);
}, 30_000);
