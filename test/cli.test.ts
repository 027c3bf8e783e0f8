// The k3lite command line as a user runs it: a real process, its exit code and what it prints.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../src/store/index.ts";
import { runK3liteSync } from "./harness.ts";

const k3lite = (...args: string[]) => runK3liteSync(args);

function workDir() {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-cli-"));
  writeFileSync(join(dir, "config.yaml"), "");
  return { dir, flags: ["--data-dir", join(dir, "data"), "--config", join(dir, "config.yaml")] };
}

describe("k3lite CLI", () => {
  test("--version prints version, commit and Bun version", () => {
    const r = k3lite("--version");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^k3lite version v\d+\.\d+\.\d+ \(\w+\)\nbun version \d+\.\d+\.\d+/);
    expect(k3lite("version").stdout).toBe(r.stdout);
  });

  test("a wrong flag value exits non-zero with one line naming it", () => {
    const { flags } = workDir();
    for (const [args, message] of [
      [["--bogus"], "unknown flag '--bogus'"],
      [["--cluster-cidr", "10.0.0.0/33"], '--cluster-cidr: "10.0.0.0/33" is not a valid CIDR'],
      [["--https-listen-port", "0"], '--https-listen-port: "0" is not a valid port'],
    ] as const) {
      const r = k3lite("server", ...flags, ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain("    at ");
    }
  });

  test("an unreadable config file is named", () => {
    const r = k3lite("server", "--config", "/nonexistent/k3lite.yaml");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("config file /nonexistent/k3lite.yaml: not found");
  });

  test("snapshot save, ls and restore round-trip the datastore", async () => {
    const { dir, flags } = workDir();
    const db = join(dir, "data", "server", "db", "state.db");
    const store = new SqliteStore(db);
    await store.create("/registry/configmaps/default/a", new TextEncoder().encode("before"));
    await store.close();

    const saved = k3lite("snapshot", "save", ...flags, "--name", "one.db");
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain("one.db");
    expect(k3lite("snapshot", "ls", ...flags).stdout).toContain("one.db");

    const again = new SqliteStore(db);
    const kv = await again.get("/registry/configmaps/default/a");
    await again.update(kv!.key, new TextEncoder().encode("after"), kv!.modRevision);
    await again.close();

    const restored = k3lite("snapshot", "restore", "one.db", ...flags);
    expect(restored.code).toBe(0);
    const back = new SqliteStore(db);
    expect(new TextDecoder().decode((await back.get("/registry/configmaps/default/a"))!.value)).toBe("before");
    await back.close();
  });
});
