// Controller reference management (upstream: ControllerRefManager): a controller claims the objects it
// controls that still match its selector, adopts matching orphans and releases the ones that stopped matching.

import { selectorMatches } from "../api/selector.ts";
import type { KubeObject } from "../api/types.ts";
import { ApiError, type KubeClient, type ResourceRef } from "../client/types.ts";
import { adoptPatch, type GroupVersionKind, getControllerOf, releasePatch } from "./owner.ts";

/** `namespace/name` of the object's controller if it is of `kind`. */
export function ownerKeyOf(obj: KubeObject, kind: string): string | undefined {
  const ref = getControllerOf(obj);
  if (!ref || ref.kind !== kind) return undefined;
  return obj.metadata?.namespace ? `${obj.metadata.namespace}/${ref.name}` : ref.name;
}

/**
 * The objects among `candidates` that `owner` controls after adoption and release. `match` decides
 * membership (defaults to the owner's spec.selector).
 */
export async function claimObjects<T extends KubeObject>(
  client: KubeClient,
  owner: KubeObject,
  gvk: GroupVersionKind,
  candidates: T[],
  ref: ResourceRef,
  match: (obj: T) => boolean = (obj) => selectorMatches(owner.spec?.selector, obj.metadata?.labels),
): Promise<T[]> {
  const ownerUid = owner.metadata?.uid;
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  const claimed: T[] = [];
  await Promise.all(
    candidates.map(async (obj) => {
      const controller = getControllerOf(obj);
      try {
        if (controller) {
          if (controller.uid !== ownerUid) return;
          if (match(obj)) {
            claimed.push(obj);
          } else if (!ownerDeleting) {
            await client.patch(ref, obj.metadata?.name ?? "", releasePatch(obj, ownerUid ?? ""), "merge");
          }
          return;
        }
        if (ownerDeleting || obj.metadata?.deletionTimestamp || !match(obj)) return;
        const adopted = await client.patch<T>(ref, obj.metadata?.name ?? "", adoptPatch(obj, owner, gvk), "merge");
        claimed.push(adopted);
      } catch (err) {
        // Gone, or changed under us: the informer event that follows requeues the owner.
        if (err instanceof ApiError && [404, 409, 422].includes(err.code)) return;
        throw err;
      }
    }),
  );
  return claimed;
}
