// A controller that keeps one object in every active namespace (the `default` ServiceAccount, the
// kube-root-ca.crt ConfigMap): recreated when deleted, corrected when changed, skipped while terminating.

import type { KubeObject, Namespace } from "../api/types.ts";
import { inNamespace, namespaces as namespacesRef } from "../client/refs.ts";
import { ApiError, type ResourceRef } from "../client/types.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";

export interface PerNamespaceObject<T extends KubeObject> {
  controllerName: string;
  ref: ResourceRef;
  name: string;
  desired(namespace: string): T;
  /** The fields to write when the existing object drifted; undefined when it is fine as is. */
  repair?(existing: T, desired: T): T | undefined;
}

export function startPerNamespaceController<T extends KubeObject>(
  ctx: ControllerContext,
  spec: PerNamespaceObject<T>,
): Controller {
  const nsInformer = ctx.informer<Namespace>(namespacesRef);
  const objInformer = ctx.informer<T>(spec.ref);
  const controller = newController(ctx, spec.controllerName, sync);

  nsInformer.addEventHandler({
    onAdd: (ns) => controller.enqueue(ns.metadata?.name ?? ""),
    onUpdate: (_, ns) => controller.enqueue(ns.metadata?.name ?? ""),
  });
  const onObj = (obj: T) => {
    if (obj.metadata?.name === spec.name) controller.enqueue(obj.metadata?.namespace ?? "");
  };
  objInformer.addEventHandler({ onUpdate: (_, obj) => onObj(obj), onDelete: onObj });

  async function sync(namespace: string): Promise<void> {
    const ns = nsInformer.lister.get(undefined, namespace);
    if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === "Terminating") return;
    const ref = inNamespace(spec.ref, namespace);
    const desired = spec.desired(namespace);
    const existing = objInformer.lister.get(namespace, spec.name);
    try {
      if (!existing) {
        await ctx.client.create(ref, desired);
        return;
      }
      const repaired = spec.repair?.(existing, desired);
      if (repaired) await ctx.client.update(ref, repaired);
    } catch (err) {
      // AlreadyExists: the cache lagged; Forbidden: the namespace began terminating.
      if (err instanceof ApiError && [403, 404, 409].includes(err.code)) return;
      throw err;
    }
  }

  return controller;
}
