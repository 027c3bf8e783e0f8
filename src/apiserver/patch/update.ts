// Ownership for ordinary writes (create, update, patch): the writer owns what it changed, taking it from
// other managers (no conflicts for updates), and removed fields belong to nobody. This is what makes a later
// apply conflict with "kubectl-client-side-apply", "kubectl edit" or a controller.

import type { KubeObject } from "../../api/types.ts";
import { compareObjects, type WalkOptions } from "./field-walk.ts";
import { isObject } from "./json.ts";
import { type Manager, sameManager } from "./managed-fields.ts";
import { noPatchMeta, type PatchMeta } from "./meta.ts";
import { commitManagers, managersOf, type TrackedFields } from "./tracking.ts";

export interface UpdateInput extends TrackedFields {
  previous?: KubeObject;
  next: KubeObject;
  manager: string;
  operation: "Update";
  subresource?: string;
  now: string;
  meta?: PatchMeta;
}

export function updateManagedFields(input: UpdateInput): KubeObject {
  const { previous, next } = input;
  if (stripsManagedFields(next)) {
    const { managedFields: _, ...metadata } = next.metadata ?? {};
    return { ...next, metadata };
  }
  const opts: WalkOptions = {
    meta: input.meta ?? noPatchMeta,
    ignore: input.ignoreFields,
    only: input.onlyFields,
  };
  const actor: Omit<Manager, "fields"> = {
    manager: input.manager,
    operation: "Update",
    apiVersion: next.apiVersion ?? previous?.apiVersion ?? "",
    ...(input.subresource ? { subresource: input.subresource } : {}),
  };
  const managers = managersOf(previous, next.metadata, opts, false);
  const change = compareObjects(previous, next, opts);
  const mine = managers.find((m) => sameManager(m, actor));
  const fields = (mine ? mine.fields.difference(change.removed) : change.added)
    .union(change.modified)
    .union(change.added);
  return commitManagers({
    previous: mine,
    next,
    change,
    managers: [...managers.filter((m) => m !== mine), { ...actor, fields }],
    actor,
    force: true,
    now: input.now,
  });
}

/** Upstream's documented way to drop all managedFields: write them as a list holding one empty entry. */
function stripsManagedFields(next: KubeObject): boolean {
  const mf = next.metadata?.managedFields as unknown;
  return Array.isArray(mf) && mf.length === 1 && isObject(mf[0]) && Object.keys(mf[0]).length === 0;
}
