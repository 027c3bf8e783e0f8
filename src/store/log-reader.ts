// Reads of the SQLite log at a revision: the latest row per key with id <= revision that is not a tombstone, and
// the history rows a watch replays. Pure queries over prepared statements; revision checks live in the store.
import type { Database, Statement } from "bun:sqlite";
import type { KeyValue, StoreEvent } from "./types.ts";

interface KvRow {
  id: number;
  key: string;
  create_revision: number;
  value: Uint8Array;
}

interface HistoryRow extends KvRow {
  created: number;
  deleted: number;
  prev_revision: number;
  prev_value: Uint8Array | null;
}

/** True for the row that is `a`'s key's newest at revision ?3 (the only row a read at ?3 may see). */
const LATEST_AT = "a.id = (SELECT MAX(b.id) FROM kv b WHERE b.key = a.key AND b.id <= ?3)";

export class LogReader {
  private readonly getAt: Statement<KvRow & { deleted: number }, [string, number]>;
  private readonly listAt: Statement<KvRow, [string, string, number, number]>;
  private readonly countAt: Statement<{ n: number }, [string, string, number]>;
  private readonly historyRange: Statement<HistoryRow, [number, number, string, string]>;

  constructor(db: Database) {
    this.getAt = db.prepare(
      "SELECT id, key, deleted, create_revision, value FROM kv WHERE key = ? AND id <= ? ORDER BY id DESC LIMIT 1",
    );
    // Walks the (key, id) index in key order and stops at the limit, so a page costs O(page), not O(prefix).
    this.listAt = db.prepare(
      `SELECT a.id, a.key, a.create_revision, a.value FROM kv a
       WHERE a.key >= ?1 AND a.key < ?2 AND a.id <= ?3 AND a.deleted = 0 AND ${LATEST_AT}
       ORDER BY a.key LIMIT ?4`,
    );
    this.countAt = db.prepare(
      `SELECT COUNT(*) AS n FROM kv a WHERE a.key >= ?1 AND a.key < ?2 AND a.id <= ?3 AND a.deleted = 0 AND ${LATEST_AT}`,
    );
    this.historyRange = db.prepare(
      `SELECT a.id, a.key, a.created, a.deleted, a.create_revision, a.prev_revision, a.value, p.value AS prev_value
       FROM kv a LEFT JOIN kv p ON p.id = a.prev_revision AND a.created = 0
       WHERE a.id > ?1 AND a.id <= ?2 AND a.key >= ?3 AND a.key < ?4 ORDER BY a.id`,
    );
  }

  get(key: string, revision: number): KeyValue | undefined {
    const row = this.getAt.get(key, revision);
    return row && !row.deleted ? toKeyValue(row) : undefined;
  }

  /** Live keys in [start, end) at `revision`, in key order; `limit` < 0 means all. */
  list(start: string, end: string, revision: number, limit: number): KeyValue[] {
    return this.listAt.all(start, end, revision, limit).map(toKeyValue);
  }

  count(start: string, end: string, revision: number): number {
    return this.countAt.get(start, end, revision)?.n ?? 0;
  }

  /** Events for keys in [start, end) with from < revision <= to, in revision order, prevKv included. */
  history(start: string, end: string, from: number, to: number): StoreEvent[] {
    return this.historyRange.all(from, to, start, end).map(toEvent);
  }
}

function toKeyValue(row: KvRow): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

function toEvent(row: HistoryRow): StoreEvent {
  const kv = toKeyValue(row);
  if (row.created) return { type: "create", kv };
  // Compaction keeps every row that a row above the compacted revision points back to, so prev_value is there.
  const prevKv: KeyValue = {
    key: row.key,
    value: row.prev_value ?? new Uint8Array(),
    createRevision: row.create_revision,
    modRevision: row.prev_revision,
  };
  return { type: row.deleted ? "delete" : "update", kv, prevKv };
}
