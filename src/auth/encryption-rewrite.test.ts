import { afterAll, expect, test } from "bun:test";
import { openStore } from "../store/index.ts";
import type { Store } from "../store/types.ts";
import {
  createSecretsTransformer,
  loadOrCreateEncryptionConfig,
  rotateKeys,
  type SecretsTransformer,
} from "./encryption.ts";
import { reencryptAll, SECRETS_PREFIX } from "./encryption-rewrite.ts";
import { tempDirs } from "./testing.ts";

const tempDir = tempDirs("reencrypt");
const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});
const enc = new TextEncoder();
const dec = new TextDecoder();

// Values are sealed with their storage key as additional data, as the API server stores Secrets.
test("rotate-keys over a real datastore: every secret ends under the new key, readable, none lost", async () => {
  const dataDir = await tempDir();
  const store = await openStore({ dataDir });
  stores.push(store);
  let current: SecretsTransformer = await createSecretsTransformer(await loadOrCreateEncryptionConfig(dataDir));
  const key = (i: number) => `${SECRETS_PREFIX}default/s${i}`;
  for (let i = 0; i < 510; i++) {
    // more than one page of the rewrite
    const plain = enc.encode(`{"kind":"Secret","data":{"v":"${i}"}}`);
    await store.create(key(i), i % 3 === 0 ? plain : current.toStorage(plain, key(i))); // some written before encryption
  }
  await store.create("/registry/core/configmaps/default/c", enc.encode("{}"));

  const result = await rotateKeys(dataDir, {
    install: (t) => {
      current = t;
    },
    rewriteAll: (t) => reencryptAll(store, t),
  });
  expect(result.rewritten).toBe(510);
  const all = await store.list(SECRETS_PREFIX);
  expect(all.items).toHaveLength(510);
  for (const kv of all.items) {
    expect(current.isStale(kv.value)).toBe(false);
    const i = Number(kv.key.slice(kv.key.lastIndexOf("s") + 1));
    expect(dec.decode(current.fromStorage(kv.value, kv.key))).toBe(`{"kind":"Secret","data":{"v":"${i}"}}`);
  }
  expect(dec.decode((await store.get("/registry/core/configmaps/default/c"))?.value)).toBe("{}");
  expect(await reencryptAll(store, current)).toBe(0); // nothing stale left
}, 60_000);

test("a concurrent write during the rewrite is kept", async () => {
  const dataDir = await tempDir();
  const store = await openStore({ dataDir });
  stores.push(store);
  const old = await createSecretsTransformer({
    keys: [{ name: "old", secret: Buffer.alloc(32, 1).toString("base64") }],
  });
  const fresh = await createSecretsTransformer({
    keys: [
      { name: "new", secret: Buffer.alloc(32, 2).toString("base64") },
      { name: "old", secret: Buffer.alloc(32, 1).toString("base64") },
    ],
  });
  const k = `${SECRETS_PREFIX}default/racy`;
  const created = await store.create(k, old.toStorage(enc.encode("v1"), k));
  // Another writer updates the secret (still with the old key) after the rewrite listed it.
  const racing: Store = {
    ...store,
    list: async (prefix, opts) => {
      const page = await store.list(prefix, opts);
      await store.update(k, old.toStorage(enc.encode("v2"), k), created.modRevision);
      return page;
    },
    update: (key, value, rev) => store.update(key, value, rev),
    get: (key, opts) => store.get(key, opts),
  };
  expect(await reencryptAll(racing, fresh)).toBe(1);
  const now = await store.get(k);
  expect(dec.decode(fresh.fromStorage(now?.value ?? new Uint8Array(), k))).toBe("v2");
  expect(fresh.isStale(now?.value ?? new Uint8Array())).toBe(false);
});
