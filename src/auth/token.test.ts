import { expect, test } from "bun:test";
import { readFile, stat } from "node:fs/promises";
import { tempDirs } from "./testing.ts";
import {
  caBundleHash,
  caHashMatches,
  ensureServerToken,
  parseToken,
  rotateServerToken,
  serverTokenPath,
} from "./token.ts";

const tempDir = tempDirs("token");

const bundle = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

test("parseToken: full, hash without user, bare", () => {
  const hash = caBundleHash(bundle);
  expect(parseToken(`K10${hash}::server:s3cret`)).toEqual({ caHash: hash, username: "server", secret: "s3cret" });
  expect(parseToken(`K10${hash}::node:abc`)).toEqual({ caHash: hash, username: "node", secret: "abc" });
  expect(parseToken(`K10${hash}::abcdef.0123456789abcdef`)).toEqual({
    caHash: hash,
    username: "server",
    secret: "abcdef.0123456789abcdef",
  });
  expect(parseToken("  justasecret\n")).toEqual({ username: "server", secret: "justasecret" });
});

test("caHashMatches", () => {
  const hash = caBundleHash(bundle);
  expect(caHashMatches(`K10${hash}::server:x`, bundle)).toBe(true);
  expect(caHashMatches(`K10${"0".repeat(64)}::server:x`, bundle)).toBe(false);
  expect(caHashMatches("bare", bundle)).toBe(true);
});

test("ensureServerToken creates, persists 0600, reuses, and accepts --token", async () => {
  const dataDir = await tempDir();
  const token = await ensureServerToken(dataDir, bundle);
  expect(token).toMatch(/^K10[0-9a-f]{64}::server:[0-9a-f]{32}$/);
  expect((await stat(serverTokenPath(dataDir))).mode & 0o777).toBe(0o600);
  expect((await readFile(serverTokenPath(dataDir), "utf8")).trim()).toBe(token);
  expect(await ensureServerToken(dataDir, bundle)).toBe(token);

  const given = await ensureServerToken(dataDir, bundle, "mysecret");
  expect(parseToken(given).secret).toBe("mysecret");
  expect(await ensureServerToken(dataDir, bundle)).toBe(given);
  await expect(ensureServerToken(dataDir, bundle, `K10${"0".repeat(64)}::server:x`)).rejects.toThrow(/CA hash/);
});

test("rotateServerToken replaces the secret, keeps the CA hash", async () => {
  const dataDir = await tempDir();
  const before = await ensureServerToken(dataDir, bundle);
  const after = await rotateServerToken(dataDir, bundle, "fresh-secret");
  expect(parseToken(after)).toEqual({ caHash: parseToken(before).caHash, username: "server", secret: "fresh-secret" });
  expect(await ensureServerToken(dataDir, bundle)).toBe(after);
});
