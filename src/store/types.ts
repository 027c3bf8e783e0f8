// The datastore contract: a revisioned key/value log in the spirit of k3s's kine.
// Keys are strings, values are opaque bytes; one global, strictly increasing revision orders every write.
// Backends (sqlite.ts, later postgres.ts) implement this and pass the same contract tests.
// Nothing here knows of HTTP or Kubernetes types.

export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the write that produced this value; becomes the object's resourceVersion. */
  modRevision: number;
}

export type StoreEventType = "create" | "update" | "delete";

export interface StoreEvent {
  type: StoreEventType;
  /** The value after the write; for "delete", the last value with modRevision = the delete's revision. */
  kv: KeyValue;
  /** The value before the write, on update and delete. */
  prevKv?: KeyValue;
}

export interface ListOptions {
  /** Max items to return; 0/undefined = all. */
  limit?: number;
  /** Opaque token from a previous ListResult; pins the list to that result's revision. */
  continue?: string;
  /** Read at this revision (must not be compacted); default: current. */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at (use as resourceVersion of the list, and to start a watch). */
  revision: number;
  /** Set when more items remain. */
  continue?: string;
  /** Number of items after this page, when `continue` is set. */
  remaining?: number;
}

export interface WatchOptions {
  /** Deliver every event with revision > fromRevision. 0 = only future events. */
  fromRevision: number;
}

export interface Watcher {
  /** Stop delivering; idempotent. */
  cancel(): void;
}

export type StoreErrorCode =
  | "exists"
  | "not-found"
  | "conflict"
  | "compacted"
  | "closed"
  | "bad-continue"
  /** A read or compaction asked for a revision newer than the latest (Kubernetes: "Too large resource version"). */
  | "future-revision";

/** Every failure the contract defines carries one of these codes; the API server maps them to Status codes. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** For "conflict": the current value; for "compacted": the oldest revision still readable. */
    readonly current?: KeyValue,
    readonly compactRevision?: number,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

export interface Store {
  /** The latest committed revision. */
  currentRevision(): Promise<number>;
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  count(prefix: string): Promise<number>;
  /** Fails with "exists" if the key is live. Resolves only after the write is durable. */
  create(key: string, value: Uint8Array): Promise<KeyValue>;
  /** Compare-and-swap: fails with "conflict" (and writes nothing) unless modRevision === expectedRevision. */
  update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue>;
  /** Fails with "not-found", or "conflict" when expectedRevision is given and stale. Returns the deleted value. */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /**
   * Delivers every event for keys under `prefix` after `fromRevision`, in revision order, without gaps.
   * Throws StoreError("compacted") synchronously-or-rejected if fromRevision is older than the compaction window.
   * Events are delivered in batches; the callback must not block (buffer on your side, drop slow consumers).
   */
  watch(
    prefix: string,
    opts: WatchOptions,
    onEvents: (events: StoreEvent[]) => void,
    onError?: (err: StoreError) => void,
  ): Promise<Watcher>;
  /** Remove history older than `revision` (latest value of live keys is always kept). */
  compact(revision: number): Promise<void>;
  /** The oldest revision that can still be read or watched from. */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}
