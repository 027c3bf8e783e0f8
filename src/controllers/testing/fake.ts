// An in-memory cluster for controller unit tests: a KubeClient over maps (uids, resourceVersions, generation,
// generateName, finalizers/deletionTimestamp, status subresource, merge patch) and informers that deliver
// events synchronously. It is not an API server: just enough for a controller's sync to be driven with objects.

import type { KubeList, KubeObject } from "../../api/types.ts";
import { mergePatch } from "../../client/fake.ts";
import { ApiError, type KubeClient, type ResourceRef } from "../../client/types.ts";
import { type Clock, FakeClock, rfc3339 } from "../clock.ts";
import { createEventRecorder } from "../events.ts";
import type { ControllerContext, EventHandlers, SharedInformer } from "../framework.ts";

type Store = Map<string, KubeObject>;

function notFound(ref: ResourceRef, name: string): ApiError {
  return new ApiError(404, {
    status: "Failure",
    reason: "NotFound",
    code: 404,
    message: `${ref.resource} "${name}" not found`,
  });
}

export class FakeCluster {
  readonly clock: FakeClock;
  private stores = new Map<string, Store>();
  private handlers = new Map<string, EventHandlers<KubeObject>[]>();
  private rv = 1;
  private uid = 1;
  /** Every write, in order: "create pods default/x", … */
  readonly actions: string[] = [];

  constructor(clock = new FakeClock()) {
    this.clock = clock;
  }

  private store(ref: ResourceRef): Store {
    const id = `${ref.group}/${ref.resource}`;
    let s = this.stores.get(id);
    if (!s) {
      s = new Map();
      this.stores.set(id, s);
    }
    return s;
  }

  private emit(ref: ResourceRef, type: "add" | "update" | "delete", obj: KubeObject, old?: KubeObject) {
    for (const h of this.handlers.get(`${ref.group}/${ref.resource}`) ?? []) {
      if (type === "add") h.onAdd?.(obj);
      else if (type === "update") h.onUpdate?.(old as KubeObject, obj);
      else h.onDelete?.(obj);
    }
  }

  private static key(ns: string | undefined, name: string) {
    return ns ? `${ns}/${name}` : name;
  }

  /** All objects of a collection (optionally one namespace), for assertions. */
  objects<T extends KubeObject>(ref: ResourceRef, namespace?: string): T[] {
    return [...this.store(ref).values()].filter((o) => !namespace || o.metadata?.namespace === namespace) as T[];
  }

  /** Adds or replaces an object as if some other component wrote it. */
  put<T extends KubeObject>(ref: ResourceRef, obj: T): T {
    const s = this.store(ref);
    const m = obj.metadata ?? {};
    const key = FakeCluster.key(m.namespace ?? ref.namespace, m.name ?? "");
    const old = s.get(key);
    const stored = structuredClone(obj) as T;
    stored.metadata = {
      ...m,
      namespace: m.namespace ?? ref.namespace,
      uid: m.uid ?? old?.metadata?.uid ?? `uid-${this.uid++}`,
      resourceVersion: String(this.rv++),
      creationTimestamp: m.creationTimestamp ?? old?.metadata?.creationTimestamp ?? rfc3339(this.clock.now()),
      generation: m.generation ?? old?.metadata?.generation ?? 1,
    };
    s.set(key, stored);
    this.emit(ref, old ? "update" : "add", structuredClone(stored), old);
    return structuredClone(stored);
  }

  private remove(ref: ResourceRef, key: string) {
    const s = this.store(ref);
    const old = s.get(key);
    if (!old) return;
    s.delete(key);
    this.emit(ref, "delete", old);
  }

  readonly client: KubeClient = {
    get: async <T extends KubeObject>(ref: ResourceRef, name: string) => {
      const obj = this.store(ref).get(FakeCluster.key(ref.namespace, name));
      if (!obj) throw notFound(ref, name);
      return structuredClone(obj) as T;
    },
    list: async <T extends KubeObject>(ref: ResourceRef) =>
      ({
        apiVersion: "v1",
        kind: "List",
        metadata: { resourceVersion: String(this.rv) },
        items: this.objects<T>(ref, ref.namespace),
      }) as KubeList<T>,
    create: async <T extends KubeObject>(ref: ResourceRef, obj: T) => {
      const m = { ...(obj.metadata ?? {}) };
      if (!m.name && m.generateName) m.name = `${m.generateName}${(this.uid + 10000).toString(36)}`;
      const key = FakeCluster.key(m.namespace ?? ref.namespace, m.name ?? "");
      if (this.store(ref).has(key)) {
        throw new ApiError(409, {
          status: "Failure",
          reason: "AlreadyExists",
          code: 409,
          message: `${ref.resource} "${m.name}" already exists`,
        });
      }
      this.actions.push(`create ${ref.resource} ${key}`);
      delete m.uid;
      delete m.creationTimestamp;
      return this.put(ref, { ...obj, metadata: { ...m, generation: 1 } });
    },
    update: async <T extends KubeObject>(ref: ResourceRef, obj: T, _opts?: unknown, sub?: string) => {
      const key = FakeCluster.key(obj.metadata?.namespace ?? ref.namespace, obj.metadata?.name ?? "");
      const old = this.store(ref).get(key);
      if (!old) throw notFound(ref, obj.metadata?.name ?? "");
      if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== old.metadata?.resourceVersion) {
        throw new ApiError(409, {
          status: "Failure",
          reason: "Conflict",
          code: 409,
          message: "conflict",
        });
      }
      this.actions.push(`update ${ref.resource}${sub ? `/${sub}` : ""} ${key}`);
      const next = sub === "status" ? { ...old, status: obj.status } : { ...obj, status: old.status };
      const specChanged = sub !== "status" && JSON.stringify(old.spec) !== JSON.stringify(obj.spec);
      const generation = (old.metadata?.generation ?? 1) + (specChanged ? 1 : 0);
      return this.finishWrite(ref, key, {
        ...next,
        metadata: {
          ...(sub === "status" ? old.metadata : obj.metadata),
          generation,
        },
      }) as T;
    },
    patch: async <T extends KubeObject>(
      ref: ResourceRef,
      name: string,
      patch: unknown,
      _t: unknown,
      _o?: unknown,
      sub?: string,
    ) => {
      const key = FakeCluster.key(ref.namespace, name);
      const old = this.store(ref).get(key);
      if (!old) throw notFound(ref, name);
      const p = patch as KubeObject;
      if (p.metadata?.uid && p.metadata.uid !== old.metadata?.uid) {
        throw new ApiError(409, {
          status: "Failure",
          reason: "Conflict",
          code: 409,
          message: "uid precondition",
        });
      }
      this.actions.push(`patch ${ref.resource}${sub ? `/${sub}` : ""} ${key}`);
      const next = mergePatch(old, patch) as KubeObject;
      const specChanged = JSON.stringify(old.spec) !== JSON.stringify(next.spec);
      next.metadata = {
        ...next.metadata,
        generation: (old.metadata?.generation ?? 1) + (specChanged ? 1 : 0),
      };
      return this.finishWrite(ref, key, next) as T;
    },
    delete: async (ref: ResourceRef, name: string, opts) => {
      const key = FakeCluster.key(ref.namespace, name);
      const old = this.store(ref).get(key);
      if (!old) throw notFound(ref, name);
      this.actions.push(`delete ${ref.resource} ${key}`);
      const finalizers = [...(old.metadata?.finalizers ?? [])];
      if (opts?.propagationPolicy === "Foreground") finalizers.push("foregroundDeletion");
      if (opts?.propagationPolicy === "Orphan") finalizers.push("orphan");
      if (finalizers.length === 0) {
        this.remove(ref, key);
        return old;
      }
      return this.put(ref, {
        ...old,
        metadata: {
          ...old.metadata,
          finalizers,
          deletionTimestamp: old.metadata?.deletionTimestamp ?? rfc3339(this.clock.now()),
        },
      });
    },
    watch: () => ({ done: Promise.resolve(), stop() {} }),
    request: async () => new Response(null, { status: 404 }),
  };

  /** Stores a write; an object being deleted whose last finalizer went is removed, as the API server does. */
  private finishWrite(ref: ResourceRef, key: string, obj: KubeObject): KubeObject {
    if (obj.metadata?.deletionTimestamp && !(obj.metadata.finalizers ?? []).length) {
      this.remove(ref, key);
      return obj;
    }
    const m = obj.metadata ?? {};
    return this.put(ref, {
      ...obj,
      metadata: { ...m, resourceVersion: undefined },
    });
  }

  informer<T extends KubeObject>(ref: ResourceRef): SharedInformer<T> {
    const id = `${ref.group}/${ref.resource}`;
    return {
      lister: {
        get: (ns, name) => {
          const o = this.store(ref).get(FakeCluster.key(ns, name));
          return o ? (structuredClone(o) as T) : undefined;
        },
        list: (ns) => this.objects<T>(ref, ns).map((o) => structuredClone(o)),
      },
      addEventHandler: (h) => {
        const list = this.handlers.get(id) ?? [];
        list.push(h as EventHandlers<KubeObject>);
        this.handlers.set(id, list);
      },
    };
  }

  context(clock: Clock = this.clock): ControllerContext {
    return {
      client: this.client,
      clock,
      recorder: createEventRecorder(this.client, "test", clock),
      informer: (ref) => this.informer(ref),
    };
  }
}
