// Compaction of the SQLite log: removes rows no read at or after the compacted revision can see (superseded
// values and tombstones), in small transactions so writes keep flowing, plus the background loop that keeps a
// window of history (by revisions and by age) and lets the file reuse the freed pages.
import type { Database, Statement } from "bun:sqlite";
import { META, readMeta, writeMeta } from "./schema.ts";

/** Revisions per compaction transaction: small enough that a write never waits long behind one. */
const CHUNK = 1000;

export class LogCompactor {
  private readonly deleteSuperseded: Statement<unknown, [number, number]>;
  private readonly deleteTombstones: Statement<unknown, [number, number]>;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly db: Database) {
    // A row's successor names it in prev_revision, so the rows superseded by (lo, hi] are found by id, not scan.
    this.deleteSuperseded = db.prepare(
      "DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id > ? AND id <= ? AND prev_revision > 0)",
    );
    this.deleteTombstones = db.prepare("DELETE FROM kv WHERE id > ? AND id <= ? AND deleted = 1");
  }

  /**
   * Deletes history up to `target`. The caller has already raised the compacted revision (in memory and in
   * meta) so no read can start at a revision whose rows are being removed. Runs one compaction at a time.
   */
  compact(target: number): Promise<void> {
    this.running = this.running.catch(() => {}).then(() => this.compactChunks(target));
    return this.running;
  }

  private async compactChunks(target: number): Promise<void> {
    let done = readMeta(this.db, META.compactedThrough);
    while (done < target && !this.stopped) {
      const hi = Math.min(done + CHUNK, target);
      this.db.transaction(() => {
        this.deleteSuperseded.run(done, hi);
        this.deleteTombstones.run(done, hi);
        writeMeta(this.db, META.compactedThrough, hi);
      })();
      done = hi;
      // Let queued writes and reads run between chunks.
      if (done < target) await new Promise((resolve) => setImmediate(resolve));
    }
    if (!this.stopped) this.releaseFreePages();
  }

  /** Ends compaction after the chunk in progress; resolves when nothing touches the database any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running.catch(() => {});
  }

  /** Gives most free pages back to the file system once they are the bigger part of the file; keeps some for reuse. */
  private releaseFreePages(): void {
    const free = (this.db.query("PRAGMA freelist_count").get() as { freelist_count: number }).freelist_count;
    const total = (this.db.query("PRAGMA page_count").get() as { page_count: number }).page_count;
    if (free > 1024 && free * 2 > total) this.db.exec(`PRAGMA incremental_vacuum(${free - Math.floor(total / 4)})`);
  }
}

export interface CompactionWindow {
  /** Keep at least this many revisions of history. Default 10,000. */
  minRevisions?: number;
  /** Keep at least this much history by age, in ms. Default 5 minutes. */
  minAgeMs?: number;
  /** How often the background compactor looks. Default 30 s. */
  intervalMs?: number;
  /** Told when a background compaction fails (the store has no logger of its own); the next round retries. */
  onError?: (err: unknown) => void;
}

/**
 * Every interval, notes the current revision with the time and compacts up to the newest revision that is both
 * `minRevisions` behind the head and at least `minAgeMs` old: the larger of the two windows is kept.
 */
export class BackgroundCompactor {
  private readonly samples: { at: number; revision: number }[] = [];
  private timer?: ReturnType<typeof setInterval>;
  private readonly minRevisions: number;
  private readonly minAgeMs: number;

  constructor(
    private readonly store: { currentRevision(): Promise<number>; compact(revision: number): Promise<void> },
    window: CompactionWindow = {},
    private readonly now: () => number = Date.now,
  ) {
    this.minRevisions = window.minRevisions ?? 10_000;
    this.minAgeMs = window.minAgeMs ?? 5 * 60_000;
    // A round that meets the store closing has nothing to report.
    const round = () =>
      void this.tick().catch((err) => {
        if ((err as { code?: string }).code !== "closed") window.onError?.(err);
      });
    this.timer = setInterval(round, window.intervalMs ?? 30_000);
    // Compaction must never keep the process alive on its own.
    this.timer.unref?.();
    round();
  }

  /** One round: returns the revision compacted to, or 0 when the window held everything. */
  async tick(): Promise<number> {
    const now = this.now();
    const head = await this.store.currentRevision();
    this.samples.push({ at: now, revision: head });
    // The newest sample old enough bounds the target by age; older samples are not needed again.
    let byAge = this.minAgeMs <= 0 ? head : 0;
    while (this.samples.length > 0 && this.samples[0].at <= now - this.minAgeMs) {
      byAge = Math.max(byAge, this.samples[0].revision);
      if (this.samples.length > 1 && this.samples[1].at <= now - this.minAgeMs) this.samples.shift();
      else break;
    }
    const target = Math.min(byAge, head - this.minRevisions);
    if (target <= 0) return 0;
    await this.store.compact(target);
    return target;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
