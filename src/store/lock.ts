// The one-writer guard: a process that writes a datastore holds an exclusive SQLite lock on `<db>.lock` for as long
// as it has the store open. The OS drops the lock when the process dies (even by kill -9), so it never goes stale.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export interface DatastoreLock {
  release(): void;
}

/** Takes the writer lock of the database at `dbPath`, or throws at once if another store (in any process) has it. */
export function lockDatastore(dbPath: string, purpose = "open the datastore"): DatastoreLock {
  const lockPath = `${dbPath}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  const db = new Database(lockPath, { create: true });
  try {
    db.exec("PRAGMA busy_timeout = 0");
    // In exclusive locking mode the lock taken by the first write is kept until the connection closes.
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)");
    db.exec("DELETE FROM holder");
    db.query("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
    db.exec("COMMIT");
  } catch (err) {
    db.close();
    if (String(err).includes("locked") || String(err).includes("busy")) {
      throw new Error(`cannot ${purpose}: ${dbPath} is in use by a running k3lite server (lock ${lockPath})`);
    }
    throw err;
  }
  return { release: () => db.close() };
}
