// ControllerExpectations: how many creates/deletes a controller has issued but not yet seen in its informer
// cache. Until they are observed (or time out), sync must not act on the stale cache, or it would create twice.

import type { Clock } from "./clock.ts";

/** Upstream's ExpectationsTimeout: after this, a controller stops waiting for lost watch events. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  /** uids still expected to disappear, so a delete event is counted once. */
  deleting: Set<string>;
  setAt: number;
}

export class ControllerExpectations {
  private byKey = new Map<string, Expectation>();

  constructor(private clock: Clock) {}

  /** True when sync may trust the cache for `key`: nothing pending, or the expectation expired. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.setAt > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, count: number): void {
    this.byKey.set(key, {
      add: count,
      del: 0,
      deleting: new Set(),
      setAt: this.clock.now(),
    });
  }

  expectDeletions(key: string, uids: string[]): void {
    this.byKey.set(key, {
      add: 0,
      del: uids.length,
      deleting: new Set(uids),
      setAt: this.clock.now(),
    });
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.add--;
  }

  /** A create that failed will never be observed: stop waiting for it. */
  creationSkipped(key: string): void {
    this.creationObserved(key);
  }

  deletionObserved(key: string, uid: string | undefined): void {
    const e = this.byKey.get(key);
    if (!e || !uid || !e.deleting.delete(uid)) return;
    e.del--;
  }

  deleteExpectations(key: string): void {
    this.byKey.delete(key);
  }
}
