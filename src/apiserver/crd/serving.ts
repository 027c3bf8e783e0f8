// Serves CustomResourceDefinitions: watches the CRDs, gives each its status (NamesAccepted, Established,
// acceptedNames, storedVersions — upstream's naming and establishing controllers) and keeps the registry's
// custom resource types in step, so a CRD's resources are served as soon as it is Established and stop being
// served (their objects deleted) when it goes. Exports: `startCrdServing({ registry, storage })`.

import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import type { KubeObject } from "../../api/types.ts";
import { ObjectCache } from "../cache.ts";
import type { Registry } from "../registry.ts";
import type { ResourceDescriptor } from "../resources/types.ts";
import type { ObjectStorage } from "../storage.ts";
import { acceptCustomResourceDefinition, CLEANUP_FINALIZER, isEstablished, terminatingStatus } from "./conditions.ts";
import { crdToResourceDescriptors, preferredVersion } from "./descriptor.ts";

export interface CrdServingDeps {
  registry: Registry;
  storage: ObjectStorage;
  /** Reports failures of background work (status writes, instance cleanup); default: console.error. */
  onError?(err: unknown): void;
}

export interface CrdServing {
  /** Resolves once every CRD event seen so far has been handled (tests, readiness). */
  settled(): Promise<void>;
  stop(): void;
}

type Crd = CustomResourceDefinition & KubeObject;

function ignoreConflict(err: unknown): void {
  if ((err as { code?: number }).code !== 409) throw err;
}

export async function startCrdServing(deps: CrdServingDeps): Promise<CrdServing> {
  const { registry, storage } = deps;
  const onError = deps.onError ?? ((err: unknown) => console.error("crd serving:", err));
  const crdDescriptor = registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crdDescriptor) throw new Error("crd serving: customresourcedefinitions are not registered");
  const cache = await ObjectCache.start<Crd>(storage, crdDescriptor);
  /** What each CRD (by name) currently has in the registry. */
  const served = new Map<string, ResourceDescriptor[]>();
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work).catch(onError);
  };

  function unserve(name: string): ResourceDescriptor[] {
    const old = served.get(name) ?? [];
    for (const d of old) registry.remove(d.group, d.version, d.plural);
    served.delete(name);
    return old;
  }

  function serve(crd: Crd): void {
    const name = crd.metadata?.name ?? "";
    const next = crdToResourceDescriptors(crd);
    const keep = new Set(next.map((d) => d.version));
    for (const d of served.get(name) ?? []) if (!keep.has(d.version)) registry.remove(d.group, d.version, d.plural);
    const preferred = preferredVersion(crd);
    for (const d of next) registry.add(d, d.version === preferred);
    served.set(name, next);
  }

  /** The CRD's objects go with it (upstream's customresourcecleanup finalizer does this before removal). */
  async function deleteInstances(descriptors: ResourceDescriptor[]): Promise<void> {
    const d = descriptors[0];
    if (!d) return;
    for (;;) {
      const page = await storage.list(d, undefined, { limit: 500 });
      if (page.items.length === 0) return;
      for (const kv of page.items) await storage.store.delete(kv.key).catch(() => undefined);
    }
  }

  /** Writes `next` over `crd`; a conflict means a newer CRD is on its way through the watch, synced then. */
  async function write(crd: Crd, next: Crd): Promise<void> {
    const revision = Number(crd.metadata?.resourceVersion ?? 0);
    await storage.update(crdDescriptor as ResourceDescriptor, next, revision).catch(ignoreConflict);
  }

  /** A deleting CRD: stop serving it, delete its objects, then let it go (upstream's cleanup finalizer). */
  async function finish(crd: Crd): Promise<void> {
    const name = crd.metadata?.name ?? "";
    const descriptors = served.get(name) ?? crdToResourceDescriptors(crd);
    unserve(name);
    if (!crd.status?.conditions?.some((c) => c.type === "Terminating" && c.status === "True"))
      return write(crd, { ...crd, status: terminatingStatus(crd) });
    await deleteInstances(descriptors);
    const finalizers = (crd.metadata?.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
    const revision = Number(crd.metadata?.resourceVersion ?? 0);
    // The last finalizer gone, the object goes: write-through-storage does not do that by itself.
    if (finalizers.length === 0)
      await storage.delete(crdDescriptor as ResourceDescriptor, undefined, name, revision).catch(ignoreConflict);
    else await write(crd, { ...crd, metadata: { ...crd.metadata, finalizers } });
  }

  async function sync(crd: Crd): Promise<void> {
    if (crd.metadata?.deletionTimestamp) {
      if (crd.metadata.finalizers?.includes(CLEANUP_FINALIZER)) await finish(crd);
      else unserve(crd.metadata.name ?? "");
      return;
    }
    const status = acceptCustomResourceDefinition(crd, cache.list());
    const finalizers = crd.metadata?.finalizers ?? [];
    if (JSON.stringify(status) !== JSON.stringify(crd.status ?? {}) || !finalizers.includes(CLEANUP_FINALIZER)) {
      // The write comes back through the watch, which serves the CRD then.
      const metadata = {
        ...crd.metadata,
        finalizers: [...new Set([...finalizers, CLEANUP_FINALIZER])],
      };
      return write(crd, { ...crd, metadata, status });
    }
    if (isEstablished(crd)) serve(crd);
    else unserve(crd.metadata?.name ?? "");
  }

  for (const crd of cache.list()) enqueue(() => sync(crd));
  const unsubscribe = cache.onChange((type, crd) => {
    const name = crd.metadata?.name ?? "";
    if (type === "delete") {
      enqueue(() => deleteInstances(unserve(name)));
    } else {
      enqueue(() => sync(crd));
    }
    // Names another CRD of the group gave up may now be free for one that was refused them.
    for (const other of cache.list())
      if (other.spec.group === crd.spec.group && other.metadata?.name !== name && !isEstablished(other))
        enqueue(() => sync(cache.get(undefined, other.metadata?.name ?? "") ?? other));
  });

  return {
    settled: async () => {
      let seen: Promise<void>;
      do {
        seen = queue;
        await seen;
      } while (seen !== queue);
    },
    stop() {
      unsubscribe();
      cache.stop();
    },
  };
}
