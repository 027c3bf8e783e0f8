// openStore's choice of backend from --datastore-endpoint, and the paths the CLI relies on.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { tempDataDir } from "./contract.ts";
import { defaultDatabasePath, openStore, snapshotsDir, sqlitePath } from "./index.ts";
import { bytes } from "./testing.ts";

// fsync-bound tests slow down a lot when other tests share the disk; deadlines are generous on purpose.
setDefaultTimeout(60_000);

describe("openStore", () => {
  test("defaults to SQLite at <dataDir>/server/db/state.db", async () => {
    const dataDir = tempDataDir();
    const store = await openStore({ dataDir, compactWindow: false });
    await store.create("/x", bytes("1"));
    await store.close();
    expect(defaultDatabasePath(dataDir)).toBe(join(dataDir, "server", "db", "state.db"));
    expect(existsSync(defaultDatabasePath(dataDir))).toBe(true);
    expect(snapshotsDir(dataDir)).toBe(join(dataDir, "server", "db", "snapshots"));
  });

  test("sqlite:// names the file", async () => {
    const dataDir = tempDataDir();
    const file = join(dataDir, "elsewhere", "k.db");
    expect(sqlitePath({ dataDir, endpoint: `sqlite://${file}?_journal=WAL` })).toBe(file);
    const store = await openStore({ dataDir, endpoint: `sqlite://${file}`, compactWindow: false });
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  test("postgres and unknown schemes fail with a clear message that hides the password", async () => {
    const dataDir = tempDataDir();
    await expect(openStore({ dataDir, endpoint: "postgres://k3s:secret@db:5432/k3s" })).rejects.toThrow(
      "--datastore-endpoint postgres://***@db:5432/k3s: PostgreSQL is not supported yet",
    );
    await expect(openStore({ dataDir, endpoint: "mysql://root@tcp(db)/k3s" })).rejects.toThrow("unknown scheme");
    await expect(openStore({ dataDir, endpoint: "sqlite://" })).rejects.toThrow("expected sqlite://<path");
  });
});
