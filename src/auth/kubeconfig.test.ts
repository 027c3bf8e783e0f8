import { describe, expect, test } from "bun:test";
import { readFile, stat, writeFile } from "node:fs/promises";
import * as http from "node:http";
import { join } from "node:path";
import * as tls from "node:tls";
import { parse } from "yaml";
import { ensureAdminKubeconfig, parseFileMode, renderKubeconfig, writeAdminKubeconfig } from "./kubeconfig.ts";
import { certExpiresWithin, issueClientCert } from "./pki.ts";
import { tempDirs, testPki } from "./testing.ts";

const tempDir = tempDirs("kubeconfig");

test("renders a k3s-style kubeconfig with embedded data", () => {
  const text = renderKubeconfig({ server: "https://127.0.0.1:6443", caPem: "CA", certPem: "CERT", keyPem: "KEY" });
  const doc = parse(text);
  expect(doc["current-context"]).toBe("default");
  expect(doc.contexts[0]).toEqual({ name: "default", context: { cluster: "default", user: "default" } });
  expect(doc.clusters[0].cluster).toEqual({
    "certificate-authority-data": btoa("CA"),
    server: "https://127.0.0.1:6443",
  });
  expect(doc.users[0].user).toEqual({ "client-certificate-data": btoa("CERT"), "client-key-data": btoa("KEY") });
});

test("token users carry only the token", () => {
  const doc = parse(renderKubeconfig({ server: "https://x:6443", caPem: "CA", token: "abc", user: "sa" }));
  expect(doc.users[0]).toEqual({ name: "sa", user: { token: "abc" } });
});

test("writeAdminKubeconfig creates parent dirs with the given mode, readable by kubectl", async () => {
  const dir = await tempDir();
  const path = join(dir, "etc", "k3lite", "k3lite.yaml");
  await writeAdminKubeconfig(path, 0o640, { server: "https://127.0.0.1:6443", caPem: "CA", token: "t" });
  expect((await stat(path)).mode & 0o777).toBe(0o640);
  expect(await readFile(path, "utf8")).toContain("current-context: default");
  const proc = Bun.spawnSync([
    "kubectl",
    "--kubeconfig",
    path,
    "config",
    "view",
    "-o",
    "jsonpath={.clusters[0].cluster.server}",
  ]);
  if (proc.exitCode === 0) expect(proc.stdout.toString()).toBe("https://127.0.0.1:6443");
});

test("parseFileMode", () => {
  expect(parseFileMode(undefined)).toBe(0o600);
  expect(parseFileMode("0644")).toBe(0o644);
  expect(parseFileMode("644")).toBe(0o644);
  expect(() => parseFileMode("9z")).toThrow();
});

describe("ensureAdminKubeconfig", () => {
  test("kubectl talks to a TLS server with it (verified), and the admin cert is reused until near expiry", async () => {
    const dir = await tempDir();
    const pki = await testPki(dir);
    const seen: unknown[] = [];
    const tlsServer = tls.createServer({
      cert: pki.servingCertPem,
      key: pki.servingKeyPem,
      ca: pki.clientCaCertPem,
      requestCert: true,
      rejectUnauthorized: false,
    });
    const httpServer = http.createServer((req, res) => {
      const socket = req.socket as tls.TLSSocket;
      seen.push({ authorized: socket.authorized, cn: socket.getPeerCertificate().subject?.CN });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ major: "1", minor: "32", gitVersion: "v1.32.0-k3lite" }));
    });
    tlsServer.on("secureConnection", (s) => httpServer.emit("connection", s));
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    const port = (tlsServer.address() as { port: number }).port;
    const path = join(dir, "k3lite.yaml");
    await ensureAdminKubeconfig({ pki, path, server: `https://127.0.0.1:${port}` });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const proc = Bun.spawn(["kubectl", "--kubeconfig", path, "version", "-o", "json", "--request-timeout=20s"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    tlsServer.close();
    expect(code).toBe(0);
    expect(JSON.parse(out).serverVersion.gitVersion).toBe("v1.32.0-k3lite");
    expect(seen[0]).toEqual({ authorized: true, cn: "system:admin" });

    const first = await readFile(join(dir, "server", "tls", "client-admin.crt"), "utf8");
    await ensureAdminKubeconfig({ pki, path, server: `https://127.0.0.1:${port}` });
    expect(await readFile(join(dir, "server", "tls", "client-admin.crt"), "utf8")).toBe(first);
    const short = await issueClientCert(pki, {
      commonName: "system:admin",
      organizations: ["system:masters"],
      validDays: 30,
    });
    await writeFile(join(dir, "server", "tls", "client-admin.crt"), short.certPem);
    await ensureAdminKubeconfig({ pki, path, server: `https://127.0.0.1:${port}` });
    const renewed = await readFile(join(dir, "server", "tls", "client-admin.crt"), "utf8");
    expect(renewed).not.toBe(short.certPem);
    expect(certExpiresWithin(renewed, 90)).toBe(false);
  }, 30_000);
});
