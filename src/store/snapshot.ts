// Snapshots of the SQLite datastore for `k3lite snapshot save|ls|restore`: a consistent copy taken online with
// VACUUM INTO (the server may keep writing), a listing of a snapshots directory, and an offline restore.
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { lockDatastore } from "./lock.ts";
import { headRevision, META, openDatabase, writeMeta } from "./schema.ts";

export interface SnapshotInfo {
  name: string;
  path: string;
  /** Bytes. */
  size: number;
  createdAt: Date;
}

/** The default file name for a snapshot taken at `at`, sortable by time. */
export function snapshotFileName(at: Date = new Date()): string {
  return `k3lite-snapshot-${at.toISOString().replace(/[:.]/g, "-")}.db`;
}

/** Writes a consistent copy of the database at `dbPath` to `destFile` (which must not exist yet). */
export async function saveSnapshot(dbPath: string, destFile: string): Promise<SnapshotInfo> {
  if (!existsSync(dbPath)) throw new Error(`snapshot save: no datastore at ${dbPath}`);
  if (existsSync(destFile)) throw new Error(`snapshot save: ${destFile} already exists; choose another name`);
  mkdirSync(dirname(destFile), { recursive: true });
  // A plain connection, no schema or pragma changes: the server may be running and owns the file.
  const db = new Database(dbPath, { readwrite: true, create: false });
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    // VACUUM INTO reads one consistent snapshot (a read transaction) of the database, including the WAL.
    db.query("VACUUM INTO ?").run(destFile);
  } finally {
    db.close();
  }
  return describe(destFile);
}

/** The snapshots in `dir`, oldest first; an absent directory has none. */
export function listSnapshots(dir: string): SnapshotInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".db"))
    .map((name) => describe(join(dir, name)))
    .filter((info) => statSync(info.path).isFile())
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.name.localeCompare(b.name));
}

/**
 * Replaces the database at `dbPath` with the snapshot `file`; refused while a server has the datastore open. The
 * replaced database is kept beside it as `<dbPath>.before-restore-<time>` so a wrong restore can be undone; returns
 * that path, if any.
 *
 * Like `etcdutl snapshot restore --bump-revision --mark-compacted`, the restored store continues above the replaced
 * one's latest revision and marks everything up to there compacted: clients that saw newer revisions than the
 * snapshot holds get "too old" (410 Gone) on their next watch and list again, instead of silently missing changes.
 */
export async function restoreSnapshot(file: string, dbPath: string): Promise<string | undefined> {
  if (!existsSync(file)) throw new Error(`snapshot restore: ${file} does not exist`);
  checkSnapshot(file);
  // Replacing the file under a running server would lose its writes and confuse its revisions.
  const lock = lockDatastore(dbPath, "restore a snapshot");
  try {
    return replaceDatabase(file, dbPath);
  } finally {
    lock.release();
  }
}

function replaceDatabase(file: string, dbPath: string): string | undefined {
  const staging = `${dbPath}.restoring`;
  copyFileSync(file, staging);
  let kept: string | undefined;
  if (existsSync(dbPath)) {
    kept = `${dbPath}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    const old = openDatabase(dbPath, { mustExist: true });
    const oldHead = headRevision(old);
    // Fold the WAL into the old file first, so the kept copy is whole on its own.
    old.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    old.close();
    markCompactedAbove(staging, oldHead);
    renameSync(dbPath, kept);
  }
  // A WAL left from the old database must never be replayed over the restored one.
  for (const suffix of ["-wal", "-shm"]) rmSync(`${dbPath}${suffix}`, { force: true });
  renameSync(staging, dbPath);
  return kept;
}

/** Makes the restored copy start above `revision`, with everything up to its new head compacted. */
function markCompactedAbove(path: string, revision: number): void {
  const db = openDatabase(path, { mustExist: true });
  try {
    const floor = Math.max(headRevision(db), revision) + 1;
    // The store compacts the history below the floor when it next opens (compacted_through lags behind).
    writeMeta(db, META.compactRevision, floor);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

/** Refuses files that are not an intact k3lite datastore, before anything is replaced. */
function checkSnapshot(file: string): void {
  let db: Database | undefined;
  try {
    db = new Database(file, { readonly: true });
    const check = db.query("PRAGMA quick_check").get() as { quick_check: string };
    const kv = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kv'").get();
    if (check.quick_check !== "ok" || !kv)
      throw new Error(check.quick_check === "ok" ? "no kv table" : check.quick_check);
  } catch (err) {
    throw new Error(`snapshot restore: ${file} is not a k3lite datastore snapshot (${(err as Error).message})`);
  } finally {
    db?.close();
  }
}

function describe(path: string): SnapshotInfo {
  const stat = statSync(path);
  return { name: basename(path), path, size: stat.size, createdAt: stat.mtime };
}
