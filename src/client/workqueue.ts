// A rate-limited, de-duplicating work queue of keys, with client-go's guarantees: a key queued many times is
// processed once; a key being processed is never processed concurrently (re-adds wait until `done`); failed
// keys come back after a per-key exponential backoff until `forget`.

export interface RateLimiter {
  /** Delay before the next retry of `key` (and count the failure). */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** client-go's ItemExponentialFailureRateLimiter: base * 2^failures, capped. */
export function exponentialRateLimiter(baseMs = 5, maxMs = 1000_000): RateLimiter {
  const failures = new Map<string, number>();
  return {
    when(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      return Math.min(baseMs * 2 ** n, maxMs);
    },
    forget: (key) => failures.delete(key),
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}

export interface WorkQueue {
  add(key: string): void;
  /** Adds `key` after `delayMs`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, delayMs: number): void;
  addRateLimited(key: string): void;
  forget(key: string): void;
  numRequeues(key: string): number;
  /** Waits for the next key; undefined once shut down. The caller must call `done(key)`. */
  get(): Promise<string | undefined>;
  done(key: string): void;
  len(): number;
  /**
   * Runs `workers` concurrent loops calling `sync(key)`: success forgets the key's failures, a throw re-adds it
   * rate-limited (and reports it to `onError`). Resolves when the queue shuts down and workers are idle.
   */
  run(
    workers: number,
    sync: (key: string) => Promise<void>,
    onError?: (key: string, err: unknown) => void,
  ): Promise<void>;
  shutDown(): void;
  readonly shuttingDown: boolean;
}

export function createWorkQueue(limiter: RateLimiter = exponentialRateLimiter()): WorkQueue {
  const queue: string[] = [];
  let head = 0; // index of the next key in `queue`; avoids O(n) shift on large queues
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const waiting = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>();
  const getters: ((key: string | undefined) => void)[] = [];
  let shuttingDown = false;

  function push(key: string) {
    const getter = getters.shift();
    if (getter) {
      dirty.delete(key);
      processing.add(key);
      getter(key);
    } else {
      queue.push(key);
    }
  }

  function add(key: string) {
    if (shuttingDown || dirty.has(key)) return;
    dirty.add(key);
    if (!processing.has(key)) push(key);
  }

  function addAfter(key: string, delayMs: number) {
    if (shuttingDown) return;
    if (delayMs <= 0) return add(key);
    const at = Date.now() + delayMs;
    const pending = waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      waiting.delete(key);
      add(key);
    }, delayMs);
    waiting.set(key, { at, timer });
  }

  function get(): Promise<string | undefined> {
    // Shutting down stops at once: queued keys are dropped, as components rebuild them from informers anyway.
    if (shuttingDown) return Promise.resolve(undefined);
    if (head < queue.length) {
      const key = queue[head++] as string;
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      dirty.delete(key);
      processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => getters.push(resolve));
  }

  function done(key: string) {
    processing.delete(key);
    if (dirty.has(key)) push(key);
  }

  const self: WorkQueue = {
    add,
    addAfter,
    addRateLimited: (key) => addAfter(key, limiter.when(key)),
    forget: (key) => limiter.forget(key),
    numRequeues: (key) => limiter.numRequeues(key),
    get,
    done,
    len: () => queue.length - head,
    async run(workers, sync, onError) {
      const worker = async () => {
        for (;;) {
          const key = await get();
          if (key === undefined) return;
          try {
            await sync(key);
            limiter.forget(key);
          } catch (err) {
            onError?.(key, err);
            self.addRateLimited(key);
          } finally {
            done(key);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
    },
    shutDown() {
      shuttingDown = true;
      for (const { timer } of waiting.values()) clearTimeout(timer);
      waiting.clear();
      for (const getter of getters.splice(0)) getter(undefined);
    },
    get shuttingDown() {
      return shuttingDown;
    },
  };
  return self;
}
