// The scheduling queue (kube-scheduler's PriorityQueue): activeQ (highest priority, then oldest, first),
// backoffQ (failed pods wait 1 s, doubling to 10 s), and unschedulable pods that wait for a cluster change
// (node added/changed, pod deleted) instead of being retried in a loop; leftovers are retried after 5 minutes.

import type { Pod } from "../api/types.ts";
import { objectKey } from "../client/cache.ts";
import { KeyedHeap } from "./heap.ts";

export interface QueuedPod {
  key: string;
  pod: Pod;
  priority: number;
  /** When the pod first entered the queue (ordering among equal priorities). */
  timestamp: number;
  attempts: number;
  /** When the last attempt ended: the base of its backoff. */
  lastFailure: number;
  /** When the pod went to the unschedulable set. */
  unschedulableSince: number;
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods are retried at least this often even without a cluster change. */
  maxUnschedulableMs?: number;
  now?: () => number;
}

export class SchedulingQueue {
  private readonly active = new KeyedHeap<QueuedPod>(
    (p) => p.key,
    (a, b) => (a.priority !== b.priority ? a.priority > b.priority : a.timestamp < b.timestamp),
  );
  private readonly backoff = new KeyedHeap<QueuedPod>(
    (p) => p.key,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Pods popped and being scheduled; a change arriving meanwhile replaces the pod seen on requeue. */
  private readonly inFlight = new Map<string, QueuedPod>();
  private readonly waiters: ((p: QueuedPod | undefined) => void)[] = [];
  private closed = false;
  private backoffTimer: ReturnType<typeof setTimeout> | undefined;
  private backoffTimerAt = Number.POSITIVE_INFINITY;
  private readonly leftoverTimer: ReturnType<typeof setInterval>;
  /** Counts pops; a move request during an attempt sends that pod to backoff rather than unschedulable. */
  schedulingCycle = 0;
  private moveRequestCycle = -1;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly now: () => number;

  constructor(
    private readonly priorityOf: (pod: Pod) => number,
    opts: QueueOptions = {},
  ) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.leftoverTimer = setInterval(() => this.flushUnschedulableLeftover(), 30_000);
  }

  private backoffExpiry(p: QueuedPod): number {
    const duration = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, p.attempts - 1));
    return p.lastFailure + duration;
  }

  private isBackingOff(p: QueuedPod): boolean {
    return p.attempts > 0 && this.backoffExpiry(p) > this.now();
  }

  private toActive(p: QueuedPod) {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.schedulingCycle++;
      this.inFlight.set(p.key, p);
      waiter(p);
    } else this.active.push(p);
  }

  private toBackoff(p: QueuedPod) {
    this.backoff.push(p);
    this.armBackoffTimer();
  }

  private armBackoffTimer() {
    const next = this.backoff.peek();
    if (!next || this.closed) return;
    const at = this.backoffExpiry(next);
    if (this.backoffTimer && at >= this.backoffTimerAt) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimerAt = at;
    this.backoffTimer = setTimeout(() => this.flushBackoff(), Math.max(0, at - this.now()));
  }

  private flushBackoff() {
    this.backoffTimer = undefined;
    this.backoffTimerAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    for (let p = this.backoff.peek(); p && this.backoffExpiry(p) <= now; p = this.backoff.peek()) {
      this.backoff.pop();
      this.toActive(p);
    }
    this.armBackoffTimer();
  }

  private flushUnschedulableLeftover() {
    const now = this.now();
    const stale = [...this.unschedulable.values()].filter((p) => now - p.unschedulableSince >= this.maxUnschedulableMs);
    for (const p of stale) this.requeue(p);
  }

  private requeue(p: QueuedPod) {
    this.unschedulable.delete(p.key);
    if (this.isBackingOff(p)) this.toBackoff(p);
    else this.toActive(p);
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    if (this.closed) return;
    const key = objectKey(pod);
    const known =
      this.inFlight.has(key) || this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key);
    if (known) {
      this.update(pod);
      return;
    }
    const now = this.now();
    this.toActive({
      key,
      pod,
      priority: this.priorityOf(pod),
      timestamp: now,
      attempts: 0,
      lastFailure: 0,
      unschedulableSince: 0,
    });
  }

  /** A pending pod changed: keep its place; an unschedulable one gets another try if its spec changed. */
  update(pod: Pod): void {
    const key = objectKey(pod);
    const flying = this.inFlight.get(key);
    if (flying) {
      flying.pod = pod;
      return;
    }
    for (const heap of [this.active, this.backoff]) {
      const queued = heap.get(key);
      if (queued) {
        heap.push({ ...queued, pod, priority: this.priorityOf(pod) });
        return;
      }
    }
    const waiting = this.unschedulable.get(key);
    if (waiting) {
      const changed = JSON.stringify(waiting.pod.spec) !== JSON.stringify(pod.spec);
      waiting.pod = pod;
      if (changed) this.requeue(waiting);
      return;
    }
    this.add(pod);
  }

  delete(pod: Pod): void {
    const key = objectKey(pod);
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** The next pod to schedule; waits while the active queue is empty. Undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const p = this.active.pop();
    if (p) {
      this.schedulingCycle++;
      this.inFlight.set(p.key, p);
      return Promise.resolve(p);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The attempt that popped `p` failed: back off, or wait for a cluster change. */
  addUnschedulable(p: QueuedPod, podSchedulingCycle: number): void {
    if (!this.inFlight.has(p.key)) return; // deleted meanwhile
    const latest = this.inFlight.get(p.key) as QueuedPod;
    this.inFlight.delete(p.key);
    if (this.closed) return;
    const failed = {
      ...latest,
      attempts: latest.attempts + 1,
      lastFailure: this.now(),
      unschedulableSince: this.now(),
    };
    if (this.moveRequestCycle >= podSchedulingCycle) this.toBackoff(failed);
    else this.unschedulable.set(failed.key, failed);
  }

  /** A pod whose binding failed after its attempt ended: retry after a backoff. */
  addBackoff(p: QueuedPod): void {
    if (this.closed || this.active.has(p.key) || this.backoff.has(p.key) || this.inFlight.has(p.key)) return;
    this.unschedulable.delete(p.key);
    this.toBackoff({ ...p, attempts: p.attempts + 1, lastFailure: this.now() });
  }

  /** The attempt that popped the pod ended in success (assumed and binding). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /** A cluster change may have made unschedulable pods schedulable (all of them, or those `which` selects). */
  moveAllToActiveOrBackoff(which?: (pod: Pod) => boolean): void {
    for (const p of [...this.unschedulable.values()]) if (!which || which(p.pod)) this.requeue(p);
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Pods waiting in each part of the queue (for tests and metrics). */
  counts(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return {
      active: this.active.size,
      backoff: this.backoff.size,
      unschedulable: this.unschedulable.size,
      inFlight: this.inFlight.size,
    };
  }

  pendingPods(): Pod[] {
    return [...this.active.values(), ...this.backoff.values(), ...this.unschedulable.values()].map((p) => p.pod);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.leftoverTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
