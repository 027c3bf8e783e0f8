// NamespaceController: a deleted namespace turns Terminating; this controller deletes everything in it (every
// namespaced resource discovery lists, custom resources included), reports what remains in the status
// conditions, and when it is empty removes the `kubernetes` finalizer so the API server can drop it.

import type { core, KubeObject, meta, Namespace } from "../api/types.ts";
import * as refs from "../client/refs.ts";
import { ApiError, type ResourceRef } from "../client/types.ts";
import { rfc3339 } from "./clock.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";

const FINALIZER = "kubernetes";
/** How soon to look again while content remains (pods terminating gracefully, finalizers pending). */
const RECHECK_MS = 2000;

/** Namespaced, deletable collections from discovery (/api/v1 and every group's preferred version). */
export async function discoverNamespacedResources(ctx: ControllerContext): Promise<ResourceRef[]> {
  const getJson = async <T>(path: string): Promise<T> => {
    const res = await ctx.client.request("GET", path);
    if (!res.ok) throw new Error(`discovery ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const out: ResourceRef[] = [];
  const add = (group: string, version: string, list: meta.APIResourceList) => {
    for (const r of list.resources) {
      if (r.name.includes("/") || !r.namespaced) continue;
      if (!r.verbs.includes("list") || !r.verbs.includes("delete")) continue;
      // Events in events.k8s.io are the core events again: deleting them once is enough.
      if (group === "events.k8s.io") continue;
      out.push({ group, version, resource: r.name });
    }
  };
  add("", "v1", await getJson<meta.APIResourceList>("/api/v1"));
  const groups = await getJson<meta.APIGroupList>("/apis");
  await Promise.all(
    groups.groups.map(async (g) => {
      const gv = g.preferredVersion ?? g.versions[0];
      if (!gv) return;
      try {
        add(g.name, gv.version, await getJson<meta.APIResourceList>(`/apis/${g.name}/${gv.version}`));
      } catch {
        // A group whose discovery fails (e.g. a CRD being removed) is retried on the next pass.
      }
    }),
  );
  return out;
}

export function startNamespaceController(ctx: ControllerContext): Controller {
  const nsInformer = ctx.informer<Namespace>(refs.namespaces);
  const controller = newController(ctx, "namespace", syncNamespace);
  nsInformer.addEventHandler({
    onAdd: (ns) => controller.enqueue(ns.metadata?.name ?? ""),
    onUpdate: (_, ns) => controller.enqueue(ns.metadata?.name ?? ""),
  });

  async function syncNamespace(name: string): Promise<void> {
    const ns = nsInformer.lister.get(undefined, name);
    if (!ns?.metadata?.deletionTimestamp) return;
    let current = ns;
    if (ns.status?.phase !== "Terminating") {
      current = await ctx.client.update<Namespace>(
        refs.namespaces,
        { ...ns, status: { ...ns.status, phase: "Terminating" } },
        {},
        "status",
      );
    }
    const remaining = await deleteContent(name);
    current = await setContentConditions(current, remaining);
    if (remaining.total > 0) {
      controller.enqueueAfter(name, RECHECK_MS);
      return;
    }
    await finalize(current);
  }

  /** Deletes every object in the namespace; counts what is still there (being deleted or just refused). */
  async function deleteContent(
    namespace: string,
  ): Promise<{ total: number; byResource: string[]; finalizers: Set<string> }> {
    const resources = await discoverNamespacedResources(ctx);
    let total = 0;
    const byResource: string[] = [];
    const finalizers = new Set<string>();
    await Promise.all(
      resources.map(async (collection) => {
        const ref = refs.inNamespace(collection, namespace);
        let items: KubeObject[];
        try {
          items = (await ctx.client.list<KubeObject>(ref)).items;
        } catch (err) {
          if (err instanceof ApiError && [403, 404, 405].includes(err.code)) return;
          throw err;
        }
        if (items.length === 0) return;
        total += items.length;
        byResource.push(
          `${collection.resource}${collection.group ? `.${collection.group}` : ""} has ${items.length} resource instances`,
        );
        for (const item of items) for (const f of item.metadata?.finalizers ?? []) finalizers.add(f);
        await Promise.all(
          items
            .filter((item) => !item.metadata?.deletionTimestamp)
            .map(async (item) => {
              try {
                await ctx.client.delete(ref, item.metadata?.name ?? "", { propagationPolicy: "Background" });
              } catch (err) {
                if (!(err instanceof ApiError && [404, 409].includes(err.code))) throw err;
              }
            }),
        );
      }),
    );
    return { total, byResource, finalizers };
  }

  async function setContentConditions(
    ns: Namespace,
    remaining: { total: number; byResource: string[]; finalizers: Set<string> },
  ): Promise<Namespace> {
    const now = rfc3339(ctx.clock.now());
    const cond = (type: string, present: boolean, reason: string, message: string): core.NamespaceCondition =>
      present
        ? { type, status: "True", reason, message, lastTransitionTime: now }
        : {
            type,
            status: "False",
            reason: "ContentDeleted",
            message: "All content successfully deleted, may be waiting on finalization",
            lastTransitionTime: now,
          };
    const next = [
      cond(
        "NamespaceContentRemaining",
        remaining.total > 0,
        "SomeResourcesRemain",
        `Some resources are remaining: ${remaining.byResource.sort().join(", ")}`,
      ),
      cond(
        "NamespaceFinalizersRemaining",
        remaining.finalizers.size > 0,
        "SomeFinalizersRemain",
        `Some content in the namespace has finalizers remaining: ${[...remaining.finalizers].sort().join(", ")}`,
      ),
    ];
    const old = ns.status?.conditions ?? [];
    const same = next.every((c) =>
      old.some((o) => o.type === c.type && o.status === c.status && o.message === c.message),
    );
    if (same) return ns;
    const conditions = next.map((c) => {
      const o = old.find((x) => x.type === c.type);
      return o && o.status === c.status ? { ...c, lastTransitionTime: o.lastTransitionTime } : c;
    });
    return ctx.client.update<Namespace>(refs.namespaces, { ...ns, status: { ...ns.status, conditions } }, {}, "status");
  }

  /** Drops the `kubernetes` finalizer through the namespace's finalize subresource, as upstream does. */
  async function finalize(ns: Namespace): Promise<void> {
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER);
    if (finalizers.length === (ns.spec?.finalizers ?? []).length) return;
    const next = { ...ns, spec: { ...ns.spec, finalizers } };
    try {
      await ctx.client.update(refs.namespaces, next, {}, "finalize");
    } catch (err) {
      if (err instanceof ApiError && err.code === 404 && !nsInformer.lister.get(undefined, ns.metadata?.name ?? ""))
        return;
      throw err; // a conflict retries with the fresh object from the cache
    }
  }

  return controller;
}
