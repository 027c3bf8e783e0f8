// The newest value of recently read or written keys, kept in memory so a point read at the head revision (every
// GET without a resourceVersion) skips SQLite. Exact, not eventually consistent: this process is the file's only
// writer, and the cache is updated in the same synchronous step as each commit, before any writer is answered.

import type { KeyValue, StoreEvent } from "./types.ts";

/** Bytes an entry is charged beyond its value: the key (UTF-16 in memory) and the object around it, roughly. */
const ENTRY_OVERHEAD = 96;

export class ReadCache {
  private readonly entries = new Map<string, KeyValue>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  /** `maxBytes` bounds the memory held; 0 turns the cache off. */
  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The key's live value at the head, or undefined when it is not cached (absent keys are never cached). */
  get(key: string): KeyValue | undefined {
    const kv = this.entries.get(key);
    if (kv) this.hits++;
    else this.misses++;
    return kv;
  }

  /** Keeps what a read at the head found in the database. */
  remember(kv: KeyValue): void {
    if (this.maxBytes > 0) this.put(kv);
  }

  /** Follows one committed batch: writes become the cached value, deletes drop it. */
  apply(events: StoreEvent[]): void {
    if (this.maxBytes <= 0) return;
    for (const ev of events) {
      if (ev.type === "delete") this.drop(ev.kv.key);
      else this.put(ev.kv);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private put(kv: KeyValue): void {
    const cost = costOf(kv);
    this.drop(kv.key); // re-inserting moves the key to the young end of the eviction order
    // One value larger than a tenth of the budget would evict most of what is cached: leave it to SQLite.
    if (cost * 10 > this.maxBytes) return;
    this.entries.set(kv.key, kv);
    this.bytes += cost;
    // Oldest first (Map keeps insertion order): what was neither written nor first read recently goes.
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= costOf(old);
    }
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= costOf(old);
  }
}

function costOf(kv: KeyValue): number {
  return kv.value.byteLength + kv.key.length * 2 + ENTRY_OVERHEAD;
}
