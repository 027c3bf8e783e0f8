import { expect, test } from "bun:test";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  createSecretsTransformer,
  encryptionConfigPath,
  encryptionStatus,
  generateEncryptionKey,
  loadOrCreateEncryptionConfig,
  rotateKeys,
  type SecretsTransformer,
} from "./encryption.ts";
import { tempDirs } from "./testing.ts";

const tempDir = tempDirs("enc");

const enc = new TextEncoder();
const dec = new TextDecoder();
const secretJson = enc.encode('{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}');

test("creates a 0600 key file once and reuses it", async () => {
  const dataDir = await tempDir();
  const config = await loadOrCreateEncryptionConfig(dataDir);
  expect(config.keys).toHaveLength(1);
  expect((await stat(encryptionConfigPath(dataDir))).mode & 0o777).toBe(0o600);
  expect((await loadOrCreateEncryptionConfig(dataDir)).keys).toEqual(config.keys);
  expect(JSON.parse(await readFile(config.path, "utf8")).kind).toBe("EncryptionConfiguration");
});

test("reads a YAML EncryptionConfiguration", async () => {
  const dataDir = await tempDir();
  const path = encryptionConfigPath(dataDir);
  await mkdir(dirname(path), { recursive: true });
  const secret = Buffer.alloc(32, 7).toString("base64");
  await writeFile(
    path,
    `kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: k1\n        secret: ${secret}\n  - identity: {}\n`,
  );
  expect((await loadOrCreateEncryptionConfig(dataDir)).keys).toEqual([{ name: "k1", secret }]);
});

test("round trip, no plaintext in the stored bytes, context bound, tampering detected", async () => {
  const t = await createSecretsTransformer({ keys: [generateEncryptionKey()] });
  const stored = await t.encrypt(secretJson, "/registry/secrets/default/db");
  const text = Buffer.from(stored).toString("latin1");
  expect(text.startsWith(`k8s:enc:aesgcm:v1:${t.writeKeyName}:`)).toBe(true);
  expect(text).not.toContain("aHVudGVyMg");
  expect(dec.decode(await t.decrypt(stored, "/registry/secrets/default/db"))).toBe(dec.decode(secretJson));
  await expect(t.decrypt(stored, "/registry/secrets/default/other")).rejects.toThrow(/tampered/);
  const flipped = new Uint8Array(stored);
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
  await expect(t.decrypt(flipped, "/registry/secrets/default/db")).rejects.toThrow();
  const headerLength = `k8s:enc:aesgcm:v1:${t.writeKeyName}:`.length;
  await expect(t.decrypt(stored.subarray(0, headerLength + 20))).rejects.toThrow(/truncated/);
});

test("plaintext passes through; unknown keys and providers are errors; disabled writes plaintext", async () => {
  const t = await createSecretsTransformer({ keys: [generateEncryptionKey()] });
  expect(await t.decrypt(secretJson)).toEqual(secretJson);
  expect(t.isStale(secretJson)).toBe(true);
  const other = await createSecretsTransformer({
    keys: [{ name: "other", secret: Buffer.alloc(32, 1).toString("base64") }],
  });
  await expect(t.decrypt(await other.encrypt(secretJson))).rejects.toThrow(/not in the encryption config/);
  await expect(t.decrypt(enc.encode("k8s:enc:kms:v2:x:abc"))).rejects.toThrow(/unsupported/);
  const off = await createSecretsTransformer({ keys: [generateEncryptionKey()] }, { enabled: false });
  expect(await off.encrypt(secretJson)).toEqual(secretJson);
});

test("rotateKeys re-encrypts everything under a new key and drops the old one", async () => {
  const dataDir = await tempDir();
  const config = await loadOrCreateEncryptionConfig(dataDir);
  let current: SecretsTransformer = await createSecretsTransformer(config);
  const store = new Map<string, Uint8Array>();
  store.set("a", await current.encrypt(secretJson, "a"));
  store.set("b", secretJson); // written before encryption was enabled
  const oldKey = current.writeKeyName;

  const result = await rotateKeys(dataDir, {
    install: (t) => {
      current = t;
    },
    rewriteAll: async (t) => {
      for (const [key, value] of store) store.set(key, await t.encrypt(await t.decrypt(value, key), key));
      return store.size;
    },
  });
  expect(result.rewritten).toBe(2);
  expect(result.removedKeys).toEqual([oldKey as string]);
  expect(current.writeKeyName).toBe(result.newKey);
  for (const [key, value] of store) {
    expect(current.isStale(value)).toBe(false);
    expect(dec.decode(await current.decrypt(value, key))).toBe(dec.decode(secretJson));
  }
  const status = encryptionStatus(await loadOrCreateEncryptionConfig(dataDir));
  expect(status.keys).toEqual([result.newKey]);
});

test("the synchronous path (the storage layer's ValueTransformer) reads what WebCrypto AES-GCM wrote", async () => {
  const key = generateEncryptionKey();
  const t = await createSecretsTransformer({ keys: [key] });
  const stored = t.toStorage(secretJson);
  expect(dec.decode(t.fromStorage(stored))).toBe(dec.decode(secretJson));
  // Independent WebCrypto encryption of the same envelope decrypts through fromStorage.
  const cryptoKey = await crypto.subtle.importKey("raw", Buffer.from(key.secret, "base64"), "AES-GCM", false, [
    "encrypt",
  ]);
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, cryptoKey, secretJson));
  const envelope = Buffer.concat([enc.encode(`k8s:enc:aesgcm:v1:${key.name}:`), nonce, sealed]);
  expect(dec.decode(t.fromStorage(envelope))).toBe(dec.decode(secretJson));
});
