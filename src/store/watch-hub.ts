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

  enqueue(events: StoreEvent[]): void {
    for (const event of events) {
      if (event.kv.modRevision <= this.lastRevision || !event.kv.key.startsWith(this.prefix)) continue;
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
  private readonly watchers = new Set<WatchEntry>();

  /**
   * Registers a watcher that first receives `history` (events up to `historyEnd`, already read by the caller in
   * the same synchronous step as this call, so no commit can slip between them) and then every live event.
   */
  add(prefix: string, history: StoreEvent[], historyEnd: number, onEvents: OnEvents, onError?: OnError): Watcher {
    const entry = new WatchEntry(this, prefix, 0, onEvents, onError);
    entry.enqueue(history);
    entry.skipThrough(historyEnd);
    this.watchers.add(entry);
    return entry;
  }

  publish(events: StoreEvent[]): void {
    if (events.length === 0) return;
    for (const watcher of this.watchers) watcher.enqueue(events);
  }

  remove(entry: WatchEntry): void {
    this.watchers.delete(entry);
  }

  /** Ends every watch with `err` (the store is closing). */
  failAll(err: StoreError): void {
    for (const watcher of [...this.watchers]) watcher.fail(err);
  }

  get size(): number {
    return this.watchers.size;
  }
}
