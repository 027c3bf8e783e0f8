// The single writer of the SQLite log, with group commit: every create/update/delete submitted in the same tick
// is applied in one transaction (each compare-and-swap checked on its own, inside it) and acknowledged only after
// that transaction commits. It owns the revision counter and hands each committed batch to the watch fan-out.
import type { Database, Statement } from "bun:sqlite";
import { type KeyValue, StoreError, type StoreEvent } from "./types.ts";

export type WriteOp =
  | { kind: "create"; key: string; value: Uint8Array }
  | { kind: "update"; key: string; value: Uint8Array; expectedRevision: number }
  | { kind: "delete"; key: string; expectedRevision?: number };

interface Pending {
  op: WriteOp;
  resolve: (kv: KeyValue) => void;
  reject: (err: unknown) => void;
}

interface LatestRow {
  id: number;
  deleted: number;
  create_revision: number;
  value: Uint8Array;
}

/** Bounds one transaction so a flood of writers cannot hold the event loop for long. */
const MAX_BATCH = 2000;

export class LogWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly latest: Statement<LatestRow, [string]>;
  private readonly insert: Statement<unknown, [number, string, number, number, number, number, Uint8Array]>;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;

  constructor(
    db: Database,
    /** The latest committed revision. */
    public revision: number,
    private readonly onCommit: (events: StoreEvent[]) => void,
    /** The live value of `key` when known without a query (the read cache); undefined means "ask SQLite". */
    private readonly peek: (key: string) => KeyValue | undefined = () => undefined,
  ) {
    this.latest = db.prepare(
      "SELECT id, deleted, create_revision, value FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1",
    );
    this.insert = db.prepare(
      "INSERT INTO kv (id, key, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
  }

  submit(op: WriteOp): Promise<KeyValue> {
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not a microtask: writers woken by the previous commit all get to submit before we flush.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Applies everything queued; synchronous, so no read or watch registration can observe a half-done batch. */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.length <= MAX_BATCH ? this.queue : this.queue.slice(0, MAX_BATCH);
      this.queue = this.queue.length <= MAX_BATCH ? [] : this.queue.slice(MAX_BATCH);
      this.applyBatch(batch);
    }
  }

  private applyBatch(batch: Pending[]): void {
    const outcomes: (KeyValue | StoreError)[] = [];
    const events: StoreEvent[] = [];
    let next = this.revision;
    // Keys written earlier in this batch: their newest row is in the open transaction, not in the cache.
    const touched = new Set<string>();
    try {
      this.begin.run();
      for (const { op } of batch) {
        const result = this.apply(op, next + 1, touched.has(op.key));
        touched.add(op.key);
        if (result instanceof StoreError) {
          outcomes.push(result);
        } else {
          next++;
          events.push(result);
          outcomes.push(result.kv);
        }
      }
      this.commit.run();
    } catch (err) {
      // The disk refused the batch (full, I/O error): nothing of it is durable, so nobody may be acknowledged.
      try {
        this.rollback.run();
      } catch {
        // no transaction was open
      }
      for (const pending of batch) pending.reject(err);
      return;
    }
    this.revision = next;
    this.onCommit(events);
    batch.forEach((pending, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof StoreError) pending.reject(outcome);
      else pending.resolve(outcome as KeyValue);
    });
  }

  /** Checks one operation against the key's latest row and appends its row at `revision`. */
  private apply(op: WriteOp, revision: number, touchedInBatch: boolean): StoreEvent | StoreError {
    const known = touchedInBatch ? undefined : this.peek(op.key);
    const row = known ? undefined : this.latest.get(op.key);
    const current = known ?? (row && !row.deleted ? toKeyValue(op.key, row) : undefined);
    if (op.kind === "create") {
      if (current) return new StoreError("exists", `key "${op.key}" already exists`, current);
      this.insert.run(revision, op.key, 1, 0, revision, row?.id ?? 0, op.value);
      return { type: "create", kv: { key: op.key, value: op.value, createRevision: revision, modRevision: revision } };
    }
    if (!current) return new StoreError("not-found", `key "${op.key}" not found`);
    if (op.expectedRevision !== undefined && op.expectedRevision !== current.modRevision) {
      return new StoreError(
        "conflict",
        `key "${op.key}" is at revision ${current.modRevision}, not the expected ${op.expectedRevision}`,
        current,
      );
    }
    if (op.kind === "update") {
      this.insert.run(revision, op.key, 0, 0, current.createRevision, current.modRevision, op.value);
      const kv = { key: op.key, value: op.value, createRevision: current.createRevision, modRevision: revision };
      return { type: "update", kv, prevKv: current };
    }
    // A delete appends a tombstone repeating the last value, so the event (and watch replay) can carry it.
    this.insert.run(revision, op.key, 0, 1, current.createRevision, current.modRevision, current.value);
    const kv = { key: op.key, value: current.value, createRevision: current.createRevision, modRevision: revision };
    return { type: "delete", kv, prevKv: current };
  }
}

function toKeyValue(key: string, row: LatestRow): KeyValue {
  return { key, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}
