// What every controller is built from: shared informers (list+watch caches) from the context, a work queue of
// keys, and workers calling one idempotent `sync(key)`; a failing key is retried with exponential backoff.
// Delays run on the context's clock, so tests drive them with a FakeClock.

import { consola } from "consola";
import type { KubeObject } from "../api/types.ts";
import type { KubeClient, ResourceRef } from "../client/types.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import type { EventRecorder } from "./events.ts";

export interface Lister<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
}

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface SharedInformer<T> {
  lister: Lister<T>;
  addEventHandler(handlers: EventHandlers<T>): void;
}

export interface ControllerContext {
  client: KubeClient;
  clock: Clock;
  recorder: EventRecorder;
  /** The shared informer of a collection (one list+watch per collection, whatever the number of users). */
  informer<T extends KubeObject>(ref: ResourceRef): SharedInformer<T>;
}

export interface Controller {
  name: string;
  enqueue(key: string): void;
  enqueueAfter(key: string, ms: number): void;
  /** Starts the workers; call after informers have synced. */
  run(workers?: number): void;
  stop(): Promise<void>;
}

const BASE_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 1000 * 1000;

/** A controller around `sync`: a deduplicating queue (a key is never synced by two workers at once). */
export function newController(ctx: ControllerContext, name: string, sync: (key: string) => Promise<void>): Controller {
  const log = consola.withTag(name);
  const queue: string[] = [];
  const queued = new Set<string>();
  const processing = new Set<string>();
  const dirty = new Set<string>(); // re-added while processing: run again after
  const failures = new Map<string, number>();
  const timers = new Set<TimerHandle>();
  const waiters: (() => void)[] = [];
  let running = false;
  let stopped = false;
  const workerDone: Promise<void>[] = [];

  function enqueue(key: string) {
    if (stopped) return;
    if (processing.has(key)) {
      dirty.add(key);
      return;
    }
    if (queued.has(key)) return;
    queued.add(key);
    queue.push(key);
    waiters.shift()?.();
  }

  function enqueueAfter(key: string, ms: number) {
    if (stopped) return;
    const timer = ctx.clock.after(ms, () => {
      timers.delete(timer);
      enqueue(key);
    });
    timers.add(timer);
  }

  async function next(): Promise<string | undefined> {
    while (!stopped) {
      const key = queue.shift();
      if (key !== undefined) {
        queued.delete(key);
        return key;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return undefined;
  }

  async function worker() {
    for (;;) {
      const key = await next();
      if (key === undefined) return;
      processing.add(key);
      try {
        await sync(key);
        failures.delete(key);
      } catch (err) {
        const n = (failures.get(key) ?? 0) + 1;
        failures.set(key, n);
        log.debug(`sync ${key} failed (attempt ${n}): ${(err as Error).message}`);
        enqueueAfter(key, Math.min(BASE_BACKOFF_MS * 2 ** n, MAX_BACKOFF_MS));
      } finally {
        processing.delete(key);
        if (dirty.delete(key)) enqueue(key);
      }
    }
  }

  return {
    name,
    enqueue,
    enqueueAfter,
    run(workers = 2) {
      if (running) return;
      running = true;
      for (let i = 0; i < workers; i++) workerDone.push(worker());
    },
    async stop() {
      stopped = true;
      for (const t of timers) t.cancel();
      timers.clear();
      for (const resolve of waiters.splice(0)) resolve();
      await Promise.all(workerDone);
    },
  };
}
