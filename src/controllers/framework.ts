// What every controller is built from: shared informers (list+watch caches) from the context, a work queue of
// keys, and workers calling one idempotent `sync(key)`; a failing key is retried with exponential backoff.
// Delays run on the context's clock, so tests drive them with a FakeClock.

import { consola } from "consola";
import type { KubeObject } from "../api/types.ts";
import { NAMESPACE_INDEX } from "../client/cache.ts";
import type { Informer } from "../client/informer.ts";
import type { KubeClient, ResourceRef } from "../client/types.ts";
import { createWorkQueue } from "../client/workqueue.ts";
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
  /** Calls `fn` every `ms` on the context clock until stopped (periodic resyncs: node monitor, pod GC). */
  every(ms: number, fn: () => void): void;
  /** Starts the workers; call after informers have synced. */
  run(workers?: number): void;
  stop(): Promise<void>;
}

/** A controller around `sync` on the client's work queue (a key is never synced by two workers at once).
 * Failures retry with the queue's backoff; `enqueueAfter` uses the context clock so tests can step it. */
export function newController(ctx: ControllerContext, name: string, sync: (key: string) => Promise<void>): Controller {
  const log = consola.withTag(name);
  const queue = createWorkQueue();
  const timers = new Set<TimerHandle>();
  let done: Promise<void> | undefined;

  return {
    name,
    enqueue: (key) => queue.add(key),
    enqueueAfter(key, ms) {
      if (queue.shuttingDown) return;
      const timer = ctx.clock.after(ms, () => {
        timers.delete(timer);
        queue.add(key);
      });
      timers.add(timer);
    },
    every(ms, fn) {
      const arm = () => {
        if (queue.shuttingDown) return;
        const timer = ctx.clock.after(ms, () => {
          timers.delete(timer);
          fn();
          arm();
        });
        timers.add(timer);
      };
      arm();
    },
    run(workers = 2) {
      done ??= queue.run(workers, sync, (key, err) => log.debug(`sync ${key}: ${(err as Error).message ?? err}`));
    },
    async stop() {
      for (const t of timers) t.cancel();
      timers.clear();
      queue.shutDown();
      await done;
    },
  };
}

/** Adapts the client's shared informers to the narrow view controllers use. */
export function sharedInformerView<T extends KubeObject>(informer: Informer<T>): SharedInformer<T> {
  return {
    lister: {
      get: (namespace, name) => informer.getByName(namespace, name),
      list: (namespace) => (namespace ? informer.byIndex(NAMESPACE_INDEX, namespace) : informer.list()),
    },
    addEventHandler(h) {
      informer.addEventHandler({
        add: h.onAdd && ((obj) => h.onAdd?.(obj)),
        update: h.onUpdate && ((oldObj, newObj) => h.onUpdate?.(oldObj, newObj)),
        delete: h.onDelete && ((obj) => h.onDelete?.(obj)),
      });
    },
  };
}
