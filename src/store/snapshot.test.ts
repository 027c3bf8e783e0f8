// Snapshot save while the store is writing, listing, and restore (including refusing a file that is no snapshot).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDataDir } from "./contract.ts";
import { defaultDatabasePath, snapshotsDir } from "./index.ts";
import { listSnapshots, restoreSnapshot, saveSnapshot, snapshotFileName } from "./snapshot.ts";
import { SqliteStore } from "./sqlite.ts";
import { bytes, storeErrorOf, text, withAckWriter } from "./testing.ts";

// fsync-bound tests slow down a lot when other tests share the disk; deadlines are generous on purpose.
setDefaultTimeout(60_000);

describe("snapshots", () => {
  test("save online, list, restore to the saved revision", async () => {
    const dataDir = tempDataDir();
    const dbPath = defaultDatabasePath(dataDir);
    const dir = snapshotsDir(dataDir);
    const store = new SqliteStore(dbPath, { compaction: false });
    for (let i = 0; i < 50; i++) await store.create(`/s/${i}`, bytes(`v${i}`));
    // Saved while the store is open and writing: the copy holds exactly the writes committed before it.
    const pending = Array.from({ length: 20 }, (_, i) => store.create(`/late/${i}`, bytes("x")));
    const first = await saveSnapshot(dbPath, join(dir, snapshotFileName(new Date(Date.UTC(2026, 0, 1)))));
    await Promise.all(pending);
    const second = await saveSnapshot(dbPath, join(dir, snapshotFileName()));
    await store.update("/s/0", bytes("after"), 1);
    await store.close();

    expect(first.size).toBeGreaterThan(0);
    expect(
      listSnapshots(dir)
        .map((s) => s.name)
        .sort(),
    ).toEqual([first.name, second.name].sort());
    expect(listSnapshots(join(dataDir, "nowhere"))).toEqual([]);
    await expect(saveSnapshot(dbPath, first.path)).rejects.toThrow("already exists");

    const kept = await restoreSnapshot(second.path, dbPath);
    expect(kept && existsSync(kept)).toBe(true);
    const restored = new SqliteStore(dbPath, { compaction: false });
    try {
      // The replaced store had reached 71: the restored one continues above it, and older revisions are gone.
      expect(await restored.currentRevision()).toBe(72);
      expect(await restored.compactedRevision()).toBe(72);
      await storeErrorOf(
        restored.watch("/", { fromRevision: 71 }, () => {}),
        "compacted",
      );
      await storeErrorOf(restored.get("/s/0", { revision: 50 }), "compacted");
      expect(text((await restored.get("/s/0"))?.value ?? bytes(""))).toBe("v0");
      expect(await restored.count("/late/")).toBe(20);
      // The restored store keeps going from the snapshot's revision.
      expect((await restored.create("/new", bytes("n"))).modRevision).toBe(73);
    } finally {
      await restored.close();
    }
  });

  test("restore refuses a file that is not a snapshot and leaves the datastore alone", async () => {
    const dataDir = tempDataDir();
    const dbPath = defaultDatabasePath(dataDir);
    const store = new SqliteStore(dbPath, { compaction: false });
    await store.create("/keep", bytes("1"));
    const saved = await saveSnapshot(dbPath, join(dataDir, "ok.db"));
    await expect(restoreSnapshot(saved.path, dbPath)).rejects.toThrow("in use by a running k3lite server");
    await store.close();
    const bogus = join(dataDir, "bogus.db");
    writeFileSync(bogus, "not a database at all, just text that is long enough to have a header".repeat(20));
    await expect(restoreSnapshot(bogus, dbPath)).rejects.toThrow("not a k3lite datastore snapshot");
    await expect(restoreSnapshot(join(dataDir, "missing.db"), dbPath)).rejects.toThrow("does not exist");
    const reopened = new SqliteStore(dbPath, { compaction: false });
    expect(await reopened.get("/keep")).toBeDefined();
    await reopened.close();
  });

  test("save from another process while the server process is writing", async () => {
    const dataDir = tempDataDir();
    const dbPath = defaultDatabasePath(dataDir);
    const [acked, snapshot] = await withAckWriter([dataDir], 200, async (acks) => {
      const copied = [...acks.keys()];
      return [copied, (await saveSnapshot(dbPath, join(snapshotsDir(dataDir), snapshotFileName()))).path] as const;
    });
    // Everything acknowledged before the save is in the copy.
    const restoredDir = tempDataDir();
    await restoreSnapshot(snapshot, defaultDatabasePath(restoredDir));
    const copy = new SqliteStore(defaultDatabasePath(restoredDir), { compaction: false });
    try {
      for (const key of acked) expect(await copy.get(key)).toBeDefined();
    } finally {
      await copy.close();
    }
  });
});
