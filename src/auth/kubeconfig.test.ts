import { afterAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { parseFileMode, renderKubeconfig, writeAdminKubeconfig } from "./kubeconfig.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test("renders a k3s-style kubeconfig with embedded data", () => {
  const text = renderKubeconfig({ server: "https://127.0.0.1:6443", caPem: "CA", certPem: "CERT", keyPem: "KEY" });
  const doc = parse(text);
  expect(doc["current-context"]).toBe("default");
  expect(doc.contexts[0]).toEqual({ name: "default", context: { cluster: "default", user: "default" } });
  expect(doc.clusters[0].cluster).toEqual({ "certificate-authority-data": btoa("CA"), server: "https://127.0.0.1:6443" });
  expect(doc.users[0].user).toEqual({ "client-certificate-data": btoa("CERT"), "client-key-data": btoa("KEY") });
});

test("token users carry only the token", () => {
  const doc = parse(renderKubeconfig({ server: "https://x:6443", caPem: "CA", token: "abc", user: "sa" }));
  expect(doc.users[0]).toEqual({ name: "sa", user: { token: "abc" } });
});

test("writeAdminKubeconfig creates parent dirs with the given mode, readable by kubectl", async () => {
  const dir = await mkdtemp(join(tmpdir(), "k3lite-kubeconfig-"));
  dirs.push(dir);
  const path = join(dir, "etc", "k3lite", "k3lite.yaml");
  await writeAdminKubeconfig(path, 0o640, { server: "https://127.0.0.1:6443", caPem: "CA", token: "t" });
  expect((await stat(path)).mode & 0o777).toBe(0o640);
  expect(await readFile(path, "utf8")).toContain("current-context: default");
  const proc = Bun.spawnSync(["kubectl", "--kubeconfig", path, "config", "view", "-o", "jsonpath={.clusters[0].cluster.server}"]);
  if (proc.exitCode === 0) expect(proc.stdout.toString()).toBe("https://127.0.0.1:6443");
});

test("parseFileMode", () => {
  expect(parseFileMode(undefined)).toBe(0o600);
  expect(parseFileMode("0644")).toBe(0o644);
  expect(parseFileMode("644")).toBe(0o644);
  expect(() => parseFileMode("9z")).toThrow();
});
