// Opens a k3lite SQLite database and makes sure its schema exists: the append-only `kv` log (row id = revision)
// and a small `meta` table for values that must survive a restart (the compacted revision).
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * One row per write. `created`/`deleted` flag the kind of write; a delete appends a tombstone that repeats the last
 * value. `prev_revision` is the id of the key's previous row (0 for the key's first row), which lets watch replay
 * find prevKv and lets compaction find superseded rows without scanning the whole table.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB NOT NULL
);
-- deleted rides in the index so counting live keys never touches the table.
CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id, deleted);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Names of the rows in `meta`. */
export const META = {
  /** Oldest revision still readable: reads and watches from before it fail with "compacted". */
  compactRevision: "compact_revision",
  /** Rows up to here have been compacted; a compaction interrupted by a crash resumes from this point. */
  compactedThrough: "compacted_through",
} as const;

export interface OpenOptions {
  /** Open an existing database only (snapshot and restore tools must not create one by accident). */
  mustExist?: boolean;
  readonly?: boolean;
}

export function openDatabase(path: string, opts: OpenOptions = {}): Database {
  if (!opts.mustExist && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = opts.readonly
    ? new Database(path, { readonly: true })
    : new Database(path, { create: !opts.mustExist, readwrite: true });
  // Wait for a lock held by another process (a snapshot tool) instead of failing at once.
  db.exec("PRAGMA busy_timeout = 5000");
  if (opts.readonly) return db;
  // auto_vacuum only takes effect before the first table exists; incremental lets compaction give pages back.
  db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  db.exec("PRAGMA journal_mode = WAL");
  // FULL fsyncs the WAL on every commit: an acknowledged write survives power loss, not only kill -9.
  db.exec("PRAGMA synchronous = FULL");
  // Truncate the WAL after checkpoints so a burst of writes does not leave a large file behind.
  db.exec("PRAGMA journal_size_limit = 67108864");
  db.exec("PRAGMA cache_size = -16384");
  db.exec(SCHEMA);
  return db;
}

export function readMeta(db: Database, name: string): number {
  const row = db.query("SELECT value FROM meta WHERE name = ?").get(name) as { value: number } | null;
  return row?.value ?? 0;
}

export function writeMeta(db: Database, name: string, value: number): void {
  db.query("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(
    name,
    value,
  );
}

/** The latest revision a database has handed out: its newest row, or the compacted revision if that is newer. */
export function headRevision(db: Database): number {
  const maxId = (db.query("SELECT MAX(id) AS id FROM kv").get() as { id: number | null }).id ?? 0;
  // A compaction may have removed the newest row (a tombstone); revisions must still never go backwards.
  return Math.max(maxId, readMeta(db, META.compactRevision));
}
