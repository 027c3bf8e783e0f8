// Runs the Store contract against SqliteStore, plus what only the SQLite backend has: persistence of the
// compacted revision, revisions that never go back after a restart, and the background compactor.
import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { describeStoreContract, tempDataDir } from "./contract.ts";
import { defaultDatabasePath } from "./index.ts";
import { SqliteStore } from "./sqlite.ts";
import { bytes, storeErrorOf, waitFor } from "./testing.ts";

// fsync-bound tests slow down a lot when other tests share the disk; deadlines are generous on purpose.
setDefaultTimeout(60_000);

const freshPath = () => join(tempDataDir(), "state.db");

describeStoreContract("sqlite", async () => new SqliteStore(freshPath(), { compaction: false }), {
  endpoint: () => {
    const dataDir = tempDataDir();
    return { dataDir, endpoint: `sqlite://${defaultDatabasePath(dataDir)}` };
  },
});

describe("SqliteStore", () => {
  test("the compacted revision and the revision counter survive a restart", async () => {
    const path = freshPath();
    let store = new SqliteStore(path, { compaction: false });
    const a = await store.create("/a", bytes("1"));
    await store.create("/b", bytes("1"));
    const gone = await store.delete("/b");
    await store.compact(gone.modRevision);
    await store.close();

    store = new SqliteStore(path, { compaction: false });
    try {
      expect(await store.compactedRevision()).toBe(gone.modRevision);
      await storeErrorOf(store.get("/a", { revision: a.modRevision }), "compacted");
      // The tombstone at the head was compacted away; the next write must still get a newer revision.
      expect(await store.currentRevision()).toBe(gone.modRevision);
      expect((await store.create("/c", bytes("1"))).modRevision).toBe(gone.modRevision + 1);
    } finally {
      await store.close();
    }
  });

  test("a second store on the same file is refused until the first closes", async () => {
    const path = freshPath();
    const first = new SqliteStore(path, { compaction: false });
    expect(() => new SqliteStore(path, { compaction: false })).toThrow("in use by a running k3lite server");
    await first.close();
    const second = new SqliteStore(path, { compaction: false });
    await second.close();
  });

  test("writes issued in the same tick share one transaction yet each gets its own revision", async () => {
    const store = new SqliteStore(freshPath(), { compaction: false });
    try {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/k/${i}`, bytes("v"))));
      expect(results.map((kv) => kv.modRevision)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      const dup = await Promise.allSettled([store.create("/dup", bytes("1")), store.create("/dup", bytes("2"))]);
      expect(dup.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    } finally {
      await store.close();
    }
  });

  test("the background compactor keeps the configured window of revisions", async () => {
    const store = new SqliteStore(freshPath(), { compaction: { minRevisions: 50, minAgeMs: 0, intervalMs: 20 } });
    try {
      const kv = await store.create("/counter", bytes("0"));
      let rev = kv.modRevision;
      for (let i = 0; i < 300; i++) rev = (await store.update("/counter", bytes(String(i)), rev)).modRevision;
      let compacted = 0;
      await waitFor(() => {
        void store.compactedRevision().then((r) => {
          compacted = r;
        });
        return compacted >= rev - 50;
      }, "the compactor to reach head - 50");
      expect(compacted).toBe(rev - 50);
      expect(await store.get("/counter", { revision: compacted })).toBeDefined();
      await storeErrorOf(store.get("/counter", { revision: compacted - 1 }), "compacted");
    } finally {
      await store.close();
    }
  });
});

describe("SqliteStore compaction", () => {
  test("a compaction cut short by close finishes after the next open", async () => {
    const path = freshPath();
    let store = new SqliteStore(path, { compaction: false });
    // 16 writers on their own keys: group commit makes the 1,600 updates quick even on a busy disk.
    const heads = await Promise.all(
      Array.from({ length: 16 }, async (_, k) => {
        let rev = (await store.create(`/hot/${k}`, bytes("0"))).modRevision;
        for (let i = 0; i < 100; i++) rev = (await store.update(`/hot/${k}`, bytes(String(i)), rev)).modRevision;
        return rev;
      }),
    );
    const rev = await store.currentRevision();
    const compaction = store.compact(rev);
    await store.close();
    await compaction;
    const rows = () => {
      const db = new Database(path, { readonly: true });
      const n = (db.query("SELECT COUNT(*) AS n FROM kv").get() as { n: number }).n;
      db.close();
      return n;
    };
    // Closed before the compaction got far: history is still there, but reads below `rev` are already refused.
    expect(rows()).toBeGreaterThan(1000);
    store = new SqliteStore(path, { compaction: false });
    try {
      await storeErrorOf(store.get("/hot/0", { revision: rev - 1 }), "compacted");
      await waitFor(() => rows() === 16, "the resumed compaction to leave only the live rows");
      const byRevision = (a: number, b: number) => a - b;
      expect((await store.list("/hot/")).items.map((kv) => kv.modRevision).sort(byRevision)).toEqual(
        heads.sort(byRevision),
      );
    } finally {
      await store.close();
    }
  });
});
