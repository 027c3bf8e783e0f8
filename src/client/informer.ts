// Shared informers: one list+watch per collection (and selector), kept in an indexed cache, with add/update/
// delete handlers. Lists, then watches from the list's resourceVersion; re-watches from the last seen version
// when a stream ends, relists on 410 Gone or errors (with backoff), and can resync handlers periodically.

import { consola } from "consola";
import type { KubeObject, Status } from "../api/types.ts";
import { IndexedCache, type IndexFunc, type Lister, objectKey } from "./cache.ts";
import { isApiError } from "./client.ts";
import type { KubeClient, ResourceRef, WatchEvent } from "./types.ts";

export interface EventHandler<T extends KubeObject> {
  /** `isInitialList`: the object came from the first list (or was replayed to a late handler). */
  add?(obj: T, isInitialList: boolean): void;
  /** Also called with old === new on a periodic resync. */
  update?(oldObj: T, newObj: T): void;
  /** The last state the cache knew (it may have changed once more before the deletion). */
  delete?(obj: T): void;
}

export interface InformerOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Calls `update(obj, obj)` for every cached object this often (0: never). */
  resyncPeriodMs?: number;
  indexers?: Record<string, IndexFunc<KubeObject>>;
  /** Page size for lists (0: unpaginated). */
  pageSize?: number;
}

export interface Informer<T extends KubeObject = KubeObject> extends Lister<T> {
  readonly ref: ResourceRef;
  addEventHandler(handler: EventHandler<T>): () => void;
  addIndexer(name: string, fn: IndexFunc<T>): void;
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** resourceVersion of the last list or event seen. */
  lastResourceVersion(): string;
  start(): void;
  stop(): void;
}

export interface InformerFactory {
  /** The shared informer for `ref` and selectors (created on first request). */
  informer<T extends KubeObject = KubeObject>(ref: ResourceRef, opts?: InformerOptions): Informer<T>;
  /** Starts every informer requested so far; later ones start when requested. */
  start(): void;
  waitForSync(signal?: AbortSignal): Promise<void>;
  stop(): void;
}

export function createInformerFactory(client: KubeClient, defaults: InformerOptions = {}): InformerFactory {
  const informers = new Map<string, Informer<KubeObject>>();
  let started = false;
  return {
    informer<T extends KubeObject>(ref: ResourceRef, opts: InformerOptions = {}): Informer<T> {
      const merged = { ...defaults, ...opts };
      const id = JSON.stringify([
        ref.group,
        ref.version,
        ref.resource,
        ref.namespace ?? "",
        merged.labelSelector ?? "",
        merged.fieldSelector ?? "",
      ]);
      let informer = informers.get(id);
      if (!informer) {
        informer = createInformer(client, ref, merged);
        informers.set(id, informer);
        if (started) informer.start();
      } else {
        for (const [name, fn] of Object.entries(opts.indexers ?? {})) informer.addIndexer(name, fn);
      }
      return informer as unknown as Informer<T>;
    },
    start() {
      started = true;
      for (const informer of informers.values()) informer.start();
    },
    async waitForSync(signal) {
      await Promise.all([...informers.values()].map((i) => i.waitForSync(signal)));
    },
    stop() {
      started = false;
      for (const informer of informers.values()) informer.stop();
    },
  };
}

const log = consola.withTag("informer");
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;

export function createInformer<T extends KubeObject = KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  opts: InformerOptions = {},
): Informer<T> {
  const cache = new IndexedCache<T>(opts.indexers as Record<string, IndexFunc<T>> | undefined);
  const handlers = new Set<EventHandler<T>>();
  const syncWaiters: (() => void)[] = [];
  let synced = false;
  let running = false;
  // Each start() begins a new generation; a loop from before a stop() notices and exits.
  let generation = 0;
  let resourceVersion = "";
  let backoffMs = 0;
  let stopSleep: (() => void) | undefined;
  let currentWatch: { stop(): void } | undefined;
  let resyncTimer: ReturnType<typeof setInterval> | undefined;

  function notify(call: (h: EventHandler<T>) => void) {
    for (const handler of handlers) {
      try {
        call(handler);
      } catch (err) {
        log.error(`${ref.resource}: event handler failed: ${(err as Error)?.stack ?? err}`);
      }
    }
  }

  function upsert(obj: T, isInitialList: boolean) {
    const old = cache.set(obj);
    if (old) notify((h) => h.update?.(old, obj));
    else notify((h) => h.add?.(obj, isInitialList));
  }

  function remove(obj: T) {
    const old = cache.delete(objectKey(obj));
    if (old) notify((h) => h.delete?.(obj));
  }

  /** Lists everything (paginated) and reconciles the cache with it, as client-go's Replace. */
  async function relist(alive: () => boolean): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let listRv = "";
    do {
      const page = await client.list<T>(ref, {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.pageSize ?? 500,
        continue: continueToken,
      });
      items.push(...page.items);
      continueToken = page.metadata?.continue || undefined;
      if (!listRv) listRv = page.metadata?.resourceVersion ?? "";
    } while (continueToken && alive());
    if (!alive()) return;
    const seen = new Set<string>();
    const initial = !synced;
    for (const obj of items) {
      seen.add(objectKey(obj));
      const old = cache.get(objectKey(obj));
      if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
      upsert(obj, initial);
    }
    for (const key of cache.keys()) {
      if (!seen.has(key)) remove(cache.get(key) as T);
    }
    resourceVersion = listRv;
    if (!synced) {
      synced = true;
      for (const wake of syncWaiters.splice(0)) wake();
    }
  }

  /** Watches from `resourceVersion` until the stream ends; "gone" when the server says the version is too old. */
  async function watchOnce(alive: () => boolean): Promise<"ended" | "gone" | "failed"> {
    let outcome: "ended" | "gone" | "failed" = "ended";
    const handle = client.watch<T>(
      ref,
      {
        resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        // Spread re-watches out, as client-go does (5-10 minutes).
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      },
      (ev: WatchEvent<T>) => {
        if (!alive()) return;
        const rv = ev.object?.metadata?.resourceVersion;
        switch (ev.type) {
          case "ADDED":
          case "MODIFIED":
            upsert(ev.object, false);
            break;
          case "DELETED":
            remove(ev.object);
            break;
          case "BOOKMARK":
            break;
          case "ERROR": {
            const status = ev.object as unknown as Status;
            outcome = status.code === 410 ? "gone" : "failed";
            if (outcome === "failed") log.warn(`${ref.resource}: watch error: ${status.message}`);
            handle.stop();
            return;
          }
        }
        if (rv) resourceVersion = rv;
        backoffMs = 0;
      },
    );
    currentWatch = handle;
    await handle.done;
    currentWatch = undefined;
    return outcome;
  }

  async function sleep(ms: number) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    stopSleep = undefined;
  }

  function nextBackoff(): number {
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs ? backoffMs * 2 : MIN_BACKOFF_MS);
    return backoffMs * (0.5 + Math.random() / 2);
  }

  async function run(gen: number) {
    const alive = () => running && gen === generation;
    let needList = true;
    while (alive()) {
      try {
        if (needList) {
          await relist(alive);
          needList = false;
        }
        const started = Date.now();
        const outcome = await watchOnce(alive);
        if (!alive()) break;
        if (outcome !== "ended") needList = true;
        // A stream that fails or closes at once must not turn into a busy loop.
        if (outcome === "failed" || Date.now() - started < 1000) await sleep(nextBackoff());
      } catch (err) {
        if (!alive()) break;
        if (!isApiError(err, 410)) log.warn(`${ref.resource}: list failed: ${(err as Error).message}`);
        needList = true;
        await sleep(nextBackoff());
      }
    }
  }

  return {
    ref,
    get: (key) => cache.get(key),
    getByName: (ns, name) => cache.getByName(ns, name),
    list: () => cache.list(),
    keys: () => cache.keys(),
    byIndex: (index, value) => cache.byIndex(index, value),
    size: () => cache.size(),
    addIndexer: (name, fn) => cache.addIndexer(name, fn),
    addEventHandler(handler) {
      handlers.add(handler);
      // A late handler first hears of everything already cached, as in client-go.
      if (synced) for (const obj of cache.list()) handler.add?.(obj, true);
      return () => handlers.delete(handler);
    },
    hasSynced: () => synced,
    waitForSync(signal) {
      if (synced) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        syncWaiters.push(resolve);
        signal?.addEventListener("abort", () => reject(new Error(`informer ${ref.resource}: stopped before sync`)), {
          once: true,
        });
      });
    },
    lastResourceVersion: () => resourceVersion,
    start() {
      if (running) return;
      running = true;
      void run(++generation);
      if (opts.resyncPeriodMs) {
        resyncTimer = setInterval(() => {
          if (synced) for (const obj of cache.list()) notify((h) => h.update?.(obj, obj));
        }, opts.resyncPeriodMs);
      }
    },
    stop() {
      running = false;
      currentWatch?.stop();
      stopSleep?.();
      if (resyncTimer) clearInterval(resyncTimer);
    },
  };
}
