// Test helpers for src/auth: temporary data dirs removed after the file's tests, and a throwaway server PKI.
import { afterAll } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureServerPki, type ServerPki } from "./pki.ts";

/** Returns a function making fresh temp dirs (named k3lite-<prefix>-…); all are removed after the file's tests. */
export function tempDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), `k3lite-${prefix}-`));
    dirs.push(dir);
    return dir;
  };
}

export const TEST_PKI_OPTIONS = {
  nodeName: "n1",
  sans: [] as string[],
  clusterDomain: "cluster.local",
  firstServiceIp: "10.43.0.1",
};

/** A server PKI in `dataDir` with test defaults. */
export function testPki(dataDir: string): Promise<ServerPki> {
  return ensureServerPki({ dataDir, ...TEST_PKI_OPTIONS });
}
