// In-process watch fan-out: the write path publishes each committed batch here and every watcher whose prefix
// matches gets the events, in revision order, batched per microtask. No polling: a store has one writer, so every
// change passes through publish().
import { StoreError, type StoreEvent, type Watcher } from "./types.ts";

type OnEvents = (events: StoreEvent[]) => void;
type OnError = (err: StoreError) => void;

class WatchEntry implements Watcher {
  private pending: StoreEvent[] = [];
  private scheduled = false;
  cancelled = false;

  constructor(
    private readonly hub: WatchHub,
    readonly prefix: string,
    /** Events at or below this revision were already queued (replayed history); live events skip them. */
    private lastRevision: number,
    private readonly onEvents: OnEvents,
    private readonly onError?: OnError,
  ) {}

  /** Queues events (already filtered to this watcher's prefix) it has not seen yet. */
  enqueue(events: StoreEvent[]): void {
    for (const event of events) {
      if (event.kv.modRevision <= this.lastRevision) continue;
      this.pending.push(event);
      this.lastRevision = event.kv.modRevision;
    }
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      // A microtask keeps delivery within the writer's tick (low latency) while letting the write path finish first.
      queueMicrotask(() => this.drain());
    }
  }

  /** Live events up to `revision` were covered by the replayed history. */
  skipThrough(revision: number): void {
    this.lastRevision = Math.max(this.lastRevision, revision);
  }

  private drain(): void {
    this.scheduled = false;
    if (this.cancelled || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.onEvents(batch);
    } catch (err) {
      // A failing consumer must not break the store or other watchers: it loses its watch and is told why.
      this.fail(new StoreError("closed", `watch on "${this.prefix}" stopped: its callback threw: ${String(err)}`));
    }
  }

  fail(err: StoreError): void {
    if (this.cancelled) return;
    this.cancel();
    this.onError?.(err);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.pending = [];
    this.hub.remove(this);
  }
}

export class WatchHub {
  /** Watchers grouped by prefix: many watch the same resource type, so each batch is filtered once per prefix. */
  private readonly byPrefix = new Map<string, Set<WatchEntry>>();

  /**
   * Registers a watcher that first receives `history` (events up to `historyEnd` under `prefix`, already read by the
   * caller in the same synchronous step as this call, so no commit can slip between them) and then every live event.
   */
  add(prefix: string, history: StoreEvent[], historyEnd: number, onEvents: OnEvents, onError?: OnError): Watcher {
    const entry = new WatchEntry(this, prefix, 0, onEvents, onError);
    entry.enqueue(history);
    entry.skipThrough(historyEnd);
    const group = this.byPrefix.get(prefix) ?? new Set();
    group.add(entry);
    this.byPrefix.set(prefix, group);
    return entry;
  }

  publish(events: StoreEvent[]): void {
    if (events.length === 0) return;
    for (const [prefix, group] of this.byPrefix) {
      const matching = prefix === "" ? events : events.filter((event) => event.kv.key.startsWith(prefix));
      if (matching.length === 0) continue;
      for (const watcher of group) watcher.enqueue(matching);
    }
  }

  remove(entry: WatchEntry): void {
    const group = this.byPrefix.get(entry.prefix);
    group?.delete(entry);
    if (group?.size === 0) this.byPrefix.delete(entry.prefix);
  }

  /** Ends every watch with `err` (the store is closing). */
  failAll(err: StoreError): void {
    for (const group of [...this.byPrefix.values()]) for (const watcher of [...group]) watcher.fail(err);
  }

  get size(): number {
    let n = 0;
    for (const group of this.byPrefix.values()) n += group.size;
    return n;
  }
}
