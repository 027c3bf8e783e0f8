// A live, in-memory copy of one resource type, kept current by a datastore watch: what the API server's own
// decisions read on every request (RBAC objects, pods by node, CRDs) without going to the store each time.

import type { KubeObject } from "../api/types.ts";
import type { StoreEvent, Watcher } from "../store/types.ts";
import type { ResourceDescriptor } from "./resources/types.ts";
import { collectionPrefix, type ObjectStorage } from "./storage.ts";

export class ObjectCache<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private watcher?: Watcher;
  private listeners = new Set<(type: StoreEvent["type"], obj: T) => void>();
  /** Bumped on every change, so derived views can tell when to recompute. */
  generation = 0;

  private constructor(
    private readonly storage: ObjectStorage,
    readonly descriptor: ResourceDescriptor,
  ) {}

  static async start<T extends KubeObject>(storage: ObjectStorage, d: ResourceDescriptor): Promise<ObjectCache<T>> {
    const cache = new ObjectCache<T>(storage, d);
    await cache.fill();
    return cache;
  }

  private async fill(): Promise<void> {
    let cont: string | undefined;
    let revision: number | undefined;
    do {
      const page = await this.storage.list(this.descriptor, undefined, { limit: 1000, continue: cont, revision });
      revision = page.revision;
      for (const kv of page.items) this.items.set(kv.key, this.storage.decode(kv) as T);
      cont = page.continue;
    } while (cont);
    this.generation++; // a refill after falling behind compaction is a change too
    this.watcher = await this.storage.store.watch(
      collectionPrefix(this.descriptor),
      { fromRevision: revision ?? 0 },
      (events) => {
        for (const ev of events) {
          const obj = this.storage.decode(ev.kv) as T;
          if (ev.type === "delete") this.items.delete(ev.kv.key);
          else this.items.set(ev.kv.key, obj);
          this.generation++;
          for (const l of this.listeners) l(ev.type, obj);
        }
      },
      () => {
        // The watch fell behind compaction: refill from a fresh list.
        this.items.clear();
        this.fill().catch(() => {});
      },
    );
  }

  list(namespace?: string): T[] {
    const out: T[] = [];
    for (const obj of this.items.values()) if (!namespace || obj.metadata?.namespace === namespace) out.push(obj);
    return out;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    const prefix = collectionPrefix(this.descriptor);
    return this.items.get(this.descriptor.namespaced ? `${prefix}${namespace}/${name}` : `${prefix}${name}`);
  }

  onChange(listener: (type: StoreEvent["type"], obj: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.watcher?.cancel();
  }
}
