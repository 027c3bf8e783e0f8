// The API server answers a plain GET of one object on a fast path (src/apiserver/fast-get.ts). These tests hold it
// to the full path's answers: same body and content type, the same 401/403/404 Status, impersonation and Table
// output still honoured, dot segments and encoded paths never reaching storage, and a write visible to the very
// next read (the store's read cache is exact).

import { expect, test } from "bun:test";
import { connect } from "node:tls";
import { adminFetch } from "./admin-fetch.ts";
import { useK3lite } from "./harness.ts";

const k = useK3lite();
const CM = "/api/v1/namespaces/default/configmaps/fast";

async function tokenFor(sa: string, role: string): Promise<string> {
  for (const args of [
    ["create", "serviceaccount", sa],
    ["create", "role", `${sa}-role`, "--verb=get", `--resource=${role}`],
    ["create", "rolebinding", `${sa}-rb`, `--role=${sa}-role`, `--serviceaccount=default:${sa}`],
  ]) {
    const r = await k.kubectl(args);
    expect(r.code).toBe(0);
  }
  const r = await k.kubectl(["create", "token", sa]);
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

const tokenGet = (path: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${k.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    tls: { rejectUnauthorized: false },
  });

test("a GET of one object answers what the full path answers", async () => {
  expect((await k.kubectl(["create", "configmap", "fast", "--from-literal=a=1"])).code).toBe(0);
  const fast = await adminFetch(k, CM);
  // Any query string takes the full path.
  const full = await adminFetch(k, `${CM}?pretty=false`);
  expect(fast.status).toBe(200);
  expect(fast.headers.get("content-type")).toBe(full.headers.get("content-type"));
  expect(await fast.text()).toBe(await full.text());
});

test("a write is visible to the very next read", async () => {
  for (let i = 0; i < 20; i++) {
    const patched = await adminFetch(k, CM, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ data: { a: String(i) } }),
    });
    const rv = (await patched.json()).metadata.resourceVersion;
    const read = await (await adminFetch(k, CM)).json();
    expect(read.metadata.resourceVersion).toBe(rv);
    expect(read.data.a).toBe(String(i));
  }
  expect((await k.kubectl(["delete", "configmap", "fast"])).code).toBe(0);
  const gone = await adminFetch(k, CM);
  expect(gone.status).toBe(404);
  expect((await gone.json()).reason).toBe("NotFound");
  expect((await k.kubectl(["create", "configmap", "fast", "--from-literal=a=back"])).code).toBe(0);
  expect((await (await adminFetch(k, CM)).json()).data.a).toBe("back");
});

test("errors come from the full path: 401 for a bad token, 403 with upstream's message, 404 as Status", async () => {
  const bad = await tokenGet(CM, "not-a-token");
  expect(bad.status).toBe(401);
  const token = await tokenFor("fast-reader", "configmaps");
  expect((await tokenGet(CM, token)).status).toBe(200);
  const denied = await tokenGet("/api/v1/namespaces/default/secrets/anything", token);
  expect(denied.status).toBe(403);
  const status = await denied.json();
  expect(status.reason).toBe("Forbidden");
  expect(status.message).toContain('cannot get resource "secrets"');
  const missing = await tokenGet("/api/v1/namespaces/default/configmaps/none-such", token);
  expect(missing.status).toBe(404);
  expect((await missing.json()).details).toMatchObject({ name: "none-such", kind: "configmaps" });
});

test("impersonation, Table output and non-canonical paths are not short-cut", async () => {
  const token = await tokenFor("fast-dots", "configmaps");
  expect((await k.kubectl(["create", "secret", "generic", "hidden", "--from-literal=k=v"])).code).toBe(0);
  // The reader may not impersonate: the full path refuses.
  const as = await tokenGet(CM, token, { "impersonate-user": "system:admin" });
  expect(as.status).toBe(403);
  const table = await adminFetch(k, CM, { headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" } });
  expect((await table.json()).kind).toBe("Table");
  for (const path of [
    "/api/v1/namespaces/default/configmaps/../secrets/hidden",
    "/api/v1/namespaces/default/configmaps/%2e%2e/secrets/hidden",
    "/api/v1/namespaces/default/secrets/hidden/",
    "/api/v1/namespaces/default//secrets/hidden",
  ]) {
    // Raw HTTP: fetch would resolve the dot segments before sending.
    const answer = await rawGet(path, token);
    expect(answer).toMatch(/^HTTP\/1\.1 (403|404)/);
    expect(answer).not.toContain('"k":');
  }
});

function rawGet(path: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: k.port, rejectUnauthorized: false }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    });
    let text = "";
    socket.on("data", (d) => {
      text += d;
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}
