// The SQLite backend of the Store contract (kine-like): an append-only log in one bun:sqlite file whose row ids are
// the revisions. One process, one writer (LogWriter, group commit); reads run on the same connection, so every
// read and every watch registration sees a whole number of committed batches.
import type { Database } from "bun:sqlite";
import { BackgroundCompactor, type CompactionWindow, LogCompactor } from "./compactor.ts";
import { decodeContinue, encodeContinue, prefixRange } from "./keys.ts";
import { type DatastoreLock, lockDatastore } from "./lock.ts";
import { LogReader } from "./log-reader.ts";
import { LogWriter, type WriteOp } from "./log-writer.ts";
import { ReadCache } from "./read-cache.ts";
import { headRevision, META, openDatabase, readMeta, writeMeta } from "./schema.ts";
import {
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  StoreError,
  type StoreEvent,
  type Watcher,
  type WatchOptions,
} from "./types.ts";
import { WatchHub } from "./watch-hub.ts";

export interface SqliteStoreOptions {
  /** History kept by the background compactor; `false` turns it off (tests, tools). */
  compaction?: CompactionWindow | false;
  /** Memory for the newest values of hot keys, served to reads at the head without SQLite; 0 turns it off. */
  readCacheBytes?: number;
}

/** Enough for every object of a homelab cluster several times over; a Pi with 2 GiB does not miss it. */
export const DEFAULT_READ_CACHE_BYTES = 32 * 1024 * 1024;

export class SqliteStore implements Store {
  private readonly db: Database;
  private readonly lock: DatastoreLock;
  private readonly reader: LogReader;
  private readonly writer: LogWriter;
  private readonly compactor: LogCompactor;
  private readonly background?: BackgroundCompactor;
  private readonly hub = new WatchHub();
  private readonly cache: ReadCache;
  private compactRevision: number;
  private closed = false;

  constructor(
    readonly path: string,
    opts: SqliteStoreOptions = {},
  ) {
    // Revisions come from this process's counter, so a second writer on the same file must be refused.
    this.lock = lockDatastore(path);
    try {
      this.db = openDatabase(path);
    } catch (err) {
      this.lock.release();
      throw err;
    }
    this.compactRevision = readMeta(this.db, META.compactRevision);
    this.cache = new ReadCache(opts.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES);
    this.writer = new LogWriter(
      this.db,
      headRevision(this.db),
      (events) => {
        // The cache follows each commit before anyone hears of it, so no read can see an older value afterwards.
        this.cache.apply(events);
        this.hub.publish(events);
      },
      // Writes check against the cached value too: exact for every key the batch has not touched yet.
      (key) => this.cache.get(key),
    );
    this.reader = new LogReader(this.db);
    this.compactor = new LogCompactor(this.db);
    // Finish a compaction that a crash or close cut short, so its rows do not linger until the next one.
    if (readMeta(this.db, META.compactedThrough) < this.compactRevision)
      void this.compactor.compact(this.compactRevision);
    if (opts.compaction !== false) this.background = new BackgroundCompactor(this, opts.compaction);
  }

  async currentRevision(): Promise<number> {
    this.assertOpen();
    return this.writer.revision;
  }

  async compactedRevision(): Promise<number> {
    this.assertOpen();
    return this.compactRevision;
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<KeyValue | undefined> {
    if (opts.revision) return this.reader.get(key, this.readRevision(opts.revision));
    this.assertOpen();
    const cached = this.cache.get(key);
    if (cached) return cached;
    const kv = this.reader.get(key, this.writer.revision);
    if (kv) this.cache.remember(kv);
    return kv;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const [start, end] = prefixRange(prefix);
    const point = opts.continue ? decodeContinue(opts.continue) : undefined;
    const revision = this.readRevision(point ? point.revision : opts.revision);
    // The smallest string above the last key returned: the next page starts strictly after it.
    const from = point ? `${point.key}\u0000` : start;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    // One extra row tells whether another page exists without a second query.
    const items = this.reader.list(from, end, revision, limit > 0 ? limit + 1 : -1);
    if (limit < 0 || items.length <= limit) return { items, revision };
    items.length = limit;
    const last = items[limit - 1].key;
    // Counted once, on the first page; later pages subtract what they return.
    const remaining = point ? point.remaining - limit : this.reader.count(`${last}\u0000`, end, revision);
    return { items, revision, continue: encodeContinue({ revision, key: last, remaining }), remaining };
  }

  async count(prefix: string): Promise<number> {
    const [start, end] = prefixRange(prefix);
    return this.reader.count(start, end, this.readRevision(undefined));
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    return this.write({ kind: "create", key, value });
  }

  update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    return this.write({ kind: "update", key, value, expectedRevision });
  }

  delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.write({ kind: "delete", key, expectedRevision });
  }

  async watch(
    prefix: string,
    opts: WatchOptions,
    onEvents: (events: StoreEvent[]) => void,
    onError?: (err: StoreError) => void,
  ): Promise<Watcher> {
    this.assertOpen();
    const head = this.writer.revision;
    let history: StoreEvent[] = [];
    if (opts.fromRevision > 0) {
      this.assertNotCompacted(opts.fromRevision);
      const [start, end] = prefixRange(prefix);
      history = this.reader.history(start, end, opts.fromRevision, head);
    }
    // Read and registration happen in this one synchronous step: no commit can fall between them. A watch from
    // ahead of the head starts delivering only after its revision, as etcd's does.
    return this.hub.add(prefix, history, Math.max(head, opts.fromRevision), onEvents, onError);
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision > this.writer.revision) {
      throw new StoreError(
        "future-revision",
        `cannot compact to ${revision}: the latest revision is ${this.writer.revision}`,
      );
    }
    if (revision <= this.compactRevision) return;
    // Raise the readable floor first (durably), so no read or watch can start where rows are about to go.
    this.compactRevision = revision;
    writeMeta(this.db, META.compactRevision, revision);
    await this.compactor.compact(revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.background?.stop();
    // Writes already accepted are committed and acknowledged before the file closes.
    this.writer.flush();
    // A compaction in progress stops after its current chunk and resumes from there on the next open.
    await this.compactor.stop();
    this.hub.failAll(new StoreError("closed", "the store was closed"));
    this.cache.clear();
    this.db.close();
    this.lock.release();
  }

  private write(op: WriteOp): Promise<KeyValue> {
    if (this.closed) return Promise.reject(closedError());
    return this.writer.submit(op);
  }

  /** The revision a read happens at: the given one, checked against the readable window, or the head. */
  private readRevision(revision: number | undefined): number {
    this.assertOpen();
    if (revision === undefined || revision === 0) return this.writer.revision;
    if (revision > this.writer.revision) {
      throw new StoreError("future-revision", `revision ${revision} is newer than the latest, ${this.writer.revision}`);
    }
    this.assertNotCompacted(revision);
    return revision;
  }

  private assertNotCompacted(revision: number): void {
    if (revision < this.compactRevision) {
      throw new StoreError(
        "compacted",
        `revision ${revision} has been compacted; the oldest readable is ${this.compactRevision}`,
        undefined,
        this.compactRevision,
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }
}

function closedError(): StoreError {
  return new StoreError("closed", "the store was closed");
}
