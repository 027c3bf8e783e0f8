// GarbageCollector: deletes objects whose owners are gone (Background), holds an owner with the
// `foregroundDeletion` finalizer until its blocking dependents are deleted (Foreground), and strips owner
// references before releasing an owner with the `orphan` finalizer (Orphan). A graph of ownerReferences over
// the monitored collections finds dependents; owners not in the graph are confirmed with a live GET.

import type { apiextensions, KubeObject, meta } from "../api/types.ts";
import * as refs from "../client/refs.ts";
import { ApiError, type ResourceRef } from "../client/types.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { releasePatch } from "./owner.ts";

/** Collections watched for ownerReferences (upstream discovers all deletable resources). */
export const MONITORED: ResourceRef[] = [
  refs.pods,
  refs.replicasets,
  refs.deployments,
  refs.statefulsets,
  refs.daemonsets,
  refs.jobs,
  refs.cronjobs,
  refs.controllerrevisions,
  refs.endpointslices,
  refs.persistentvolumeclaims,
  refs.services,
  refs.configmaps,
  refs.secrets,
  refs.serviceaccounts,
  refs.leases,
  refs.nodes,
  refs.poddisruptionbudgets,
  refs.ingresses,
];

interface GraphNode {
  obj: KubeObject;
  ref: ResourceRef;
}

type OwnerState = "solid" | "dangling" | "waiting";

export function startGarbageCollector(ctx: ControllerContext): Controller {
  const nodes = new Map<string, GraphNode>(); // by uid
  const dependents = new Map<string, Set<string>>(); // owner uid → dependent uids
  const controller = newController(ctx, "garbagecollector", sync);

  function link(obj: KubeObject, add: boolean) {
    const uid = obj.metadata?.uid ?? "";
    for (const owner of obj.metadata?.ownerReferences ?? []) {
      const set = dependents.get(owner.uid);
      if (add) {
        if (set) set.add(uid);
        else dependents.set(owner.uid, new Set([uid]));
      } else {
        set?.delete(uid);
        if (set?.size === 0) dependents.delete(owner.uid);
      }
    }
  }

  function dependentsOf(uid: string): GraphNode[] {
    return [...(dependents.get(uid) ?? [])].map((d) => nodes.get(d)).filter((n): n is GraphNode => !!n);
  }

  function interesting(obj: KubeObject): boolean {
    const m = obj.metadata ?? {};
    const ours = m.finalizers?.some((f) => f === "orphan" || f === "foregroundDeletion");
    return (m.ownerReferences?.length ?? 0) > 0 || (!!m.deletionTimestamp && !!ours);
  }

  const monitored = new Set<string>();
  function monitor(collection: ResourceRef) {
    const id = `${collection.group}/${collection.resource}`;
    if (monitored.has(id)) return;
    monitored.add(id);
    const informer = ctx.informer<KubeObject>(collection);
    const upsert = (old: KubeObject | undefined, obj: KubeObject) => {
      const uid = obj.metadata?.uid ?? "";
      if (old) link(old, false);
      link(obj, true);
      const m = obj.metadata ?? {};
      nodes.set(uid, { obj, ref: refs.inNamespace(collection, m.namespace) });
      if (interesting(obj)) controller.enqueue(uid);
    };
    informer.addEventHandler({
      onAdd: (obj) => upsert(undefined, obj),
      onUpdate: (old, obj) => upsert(old, obj),
      onDelete: (obj) => {
        const uid = obj.metadata?.uid ?? "";
        link(obj, false);
        nodes.delete(uid);
        // Dependents may now be dangling; an owner in foreground deletion may now be free to go.
        for (const dep of dependents.get(uid) ?? []) controller.enqueue(dep);
        for (const owner of obj.metadata?.ownerReferences ?? []) controller.enqueue(owner.uid);
      },
    });
  }
  for (const collection of MONITORED) monitor(collection);
  // Custom resources take part too: watch each CRD's storage version once it is established.
  ctx.informer<apiextensions.CustomResourceDefinition>(refs.customresourcedefinitions).addEventHandler({
    onAdd: (crd) => monitorCRD(crd),
    onUpdate: (_, crd) => monitorCRD(crd),
  });
  function monitorCRD(crd: apiextensions.CustomResourceDefinition) {
    const established = crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
    if (established && version)
      monitor({ group: crd.spec.group, version: version.name, resource: crd.spec.names.plural });
  }

  async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  async function removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    const m = node.obj.metadata ?? {};
    const rest = (m.finalizers ?? []).filter((f) => f !== finalizer);
    const patch = { metadata: { finalizers: rest.length ? rest : null, uid: m.uid } };
    await ignoreNotFound(ctx.client.patch(node.ref, m.name ?? "", patch, "merge"));
  }

  /** Is the owner there, gone, or itself waiting in foreground deletion? */
  async function ownerState(dep: GraphNode, owner: meta.OwnerReference): Promise<OwnerState> {
    let obj = nodes.get(owner.uid)?.obj;
    if (!obj) {
      // Not cached (unmonitored kind, or the cache lags a fresh create): ask the API server.
      try {
        const ref = refs.refFor(owner.apiVersion, owner.kind, dep.obj.metadata?.namespace);
        obj = await ctx.client.get<KubeObject>(ref, owner.name);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return "dangling";
        throw err;
      }
      if (obj.metadata?.uid !== owner.uid) return "dangling";
    }
    const m = obj.metadata ?? {};
    if (m.deletionTimestamp && m.finalizers?.includes("foregroundDeletion")) return "waiting";
    return "solid";
  }

  async function sync(uid: string): Promise<void> {
    const node = nodes.get(uid);
    if (!node) return;
    const m = node.obj.metadata ?? {};
    if (m.deletionTimestamp) {
      if (m.finalizers?.includes("orphan")) return orphanDependents(node);
      if (m.finalizers?.includes("foregroundDeletion")) return deleteDependentsFirst(node);
      return;
    }
    const owners = m.ownerReferences ?? [];
    if (owners.length === 0) return;
    const states = await Promise.all(owners.map((o) => ownerState(node, o)));
    const solid = owners.filter((_, i) => states[i] === "solid");
    if (solid.length > 0) {
      // Still owned: drop only the references to owners that are gone.
      if (solid.length < owners.length && states.includes("dangling")) {
        const kept = owners.filter((_, i) => states[i] !== "dangling");
        await ignoreNotFound(
          ctx.client.patch(node.ref, m.name ?? "", { metadata: { ownerReferences: kept, uid } }, "merge"),
        );
      }
      return;
    }
    // Every owner is gone or being deleted in the foreground: this object goes too.
    const hasDependents = (dependents.get(uid)?.size ?? 0) > 0;
    const policy = m.finalizers?.includes("orphan")
      ? "Orphan"
      : states.includes("waiting") && hasDependents
        ? "Foreground"
        : m.finalizers?.includes("foregroundDeletion")
          ? "Foreground"
          : "Background";
    await ignoreNotFound(
      ctx.client.delete(node.ref, m.name ?? "", { propagationPolicy: policy, preconditions: { uid } }),
    );
  }

  async function orphanDependents(owner: GraphNode): Promise<void> {
    const uid = owner.obj.metadata?.uid ?? "";
    await Promise.all(
      dependentsOf(uid).map((dep) =>
        ignoreNotFound(ctx.client.patch(dep.ref, dep.obj.metadata?.name ?? "", releasePatch(dep.obj, uid), "merge")),
      ),
    );
    await removeFinalizer(owner, "orphan");
  }

  async function deleteDependentsFirst(owner: GraphNode): Promise<void> {
    const uid = owner.obj.metadata?.uid ?? "";
    const deps = dependentsOf(uid);
    for (const dep of deps) {
      if (!dep.obj.metadata?.deletionTimestamp) controller.enqueue(dep.obj.metadata?.uid ?? "");
    }
    const blocking = deps.filter((d) =>
      d.obj.metadata?.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion),
    );
    if (blocking.length === 0) await removeFinalizer(owner, "foregroundDeletion");
  }

  return controller;
}
