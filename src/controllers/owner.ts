// ownerReferences helpers shared by every workload controller and the garbage collector: building the
// controller reference, finding an object's controller, and adopting/releasing with the right patch.

import type { KubeObject, meta } from "../api/types.ts";

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export function apiVersionOf(gvk: GroupVersionKind): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

/** The ownerReference a controller puts on what it creates (controller=true, blockOwnerDeletion=true). */
export function controllerRef(owner: KubeObject, gvk: GroupVersionKind): meta.OwnerReference {
  return {
    apiVersion: apiVersionOf(gvk),
    kind: gvk.kind,
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The ownerReference with controller=true, if any. */
export function getControllerOf(obj: KubeObject): meta.OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = getControllerOf(obj);
  return !!ref && ref.uid === owner.metadata?.uid;
}

/** Merge patch adding `owner` as controller. Merge patches replace lists whole, so it carries the full list;
 * the uid pins the patch to the object we looked at (a recreated namespace/name fails instead). */
export function adoptPatch(obj: KubeObject, owner: KubeObject, gvk: GroupVersionKind): unknown {
  const others = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata?.uid);
  return {
    metadata: {
      ownerReferences: [...others, controllerRef(owner, gvk)],
      uid: obj.metadata?.uid,
    },
  };
}

/** Merge patch removing the references to `ownerUid` (a release, or orphaning by the garbage collector). */
export function releasePatch(obj: KubeObject, ownerUid: string): unknown {
  const rest = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  return {
    metadata: {
      ownerReferences: rest.length ? rest : null,
      uid: obj.metadata?.uid,
    },
  };
}

export function isBeingDeleted(obj: KubeObject): boolean {
  return !!obj.metadata?.deletionTimestamp;
}

/** `namespace/name` or `name`: the work-queue key of an object. */
export function keyOf(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : `${m.name}`;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
