import { expect, test } from "bun:test";
import { ReadCache } from "./read-cache.ts";
import type { KeyValue } from "./types.ts";

const kv = (key: string, size: number, rev = 1): KeyValue => ({
  key,
  value: new Uint8Array(size),
  createRevision: 1,
  modRevision: rev,
});

test("writes replace the cached value and deletes drop it", () => {
  const cache = new ReadCache(1 << 20);
  cache.remember(kv("/a", 10, 1));
  cache.apply([{ type: "update", kv: kv("/a", 10, 2) }]);
  expect(cache.get("/a")?.modRevision).toBe(2);
  cache.apply([{ type: "delete", kv: kv("/a", 10, 3) }]);
  expect(cache.get("/a")).toBeUndefined();
});

test("the oldest entries go first when the budget is exceeded; a rewritten key becomes young again", () => {
  const cache = new ReadCache(20 * 1000); // each entry costs ~1,000 bytes: 19 fit
  for (let i = 0; i < 19; i++) cache.remember(kv(`/k${i}`, 900));
  cache.apply([{ type: "update", kv: kv("/k0", 900, 2) }]); // /k0 is now the youngest
  cache.remember(kv("/k19", 900));
  cache.remember(kv("/k20", 900));
  expect(cache.get("/k0")?.modRevision).toBe(2);
  expect(cache.get("/k1")).toBeUndefined();
  expect(cache.get("/k2")).toBeUndefined();
  expect(cache.get("/k3")).toBeDefined();
  expect(cache.size).toBe(19);
});

test("a value over a tenth of the budget is not kept, and a zero budget keeps nothing", () => {
  const cache = new ReadCache(1000);
  cache.remember(kv("/big", 500));
  expect(cache.get("/big")).toBeUndefined();
  const off = new ReadCache(0);
  off.remember(kv("/a", 1));
  off.apply([{ type: "create", kv: kv("/b", 1) }]);
  expect(off.size).toBe(0);
});
