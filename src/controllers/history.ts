// ControllerRevisions for StatefulSets and DaemonSets (upstream: pkg/controller/history): the pod template
// snapshotted as a revision named <owner>-<hash>, found again when the template returns (a rollback takes
// the next revision number), and old revisions pruned beyond revisionHistoryLimit.

import type { ControllerRevision, core, KubeObject } from "../api/types.ts";
import { inNamespace, controllerrevisions as revisionsRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import type { ControllerContext, SharedInformer } from "./framework.ts";
import { canonicalJson, computeHash } from "./hash.ts";
import { controllerRef, type GroupVersionKind, getControllerOf } from "./owner.ts";

export const CONTROLLER_REVISION_HASH_LABEL = "controller-revision-hash";

/** The revision payload upstream stores: the template under spec, replaced whole when applied. */
export function revisionData(template: core.PodTemplateSpec | undefined): unknown {
  return { spec: { template: { ...(template ?? {}), $patch: "replace" } } };
}

export function ownedRevisions(informer: SharedInformer<ControllerRevision>, owner: KubeObject): ControllerRevision[] {
  return informer.lister
    .list(owner.metadata?.namespace)
    .filter((r) => getControllerOf(r)?.uid === owner.metadata?.uid)
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
}

/**
 * The revision for the owner's current template: an equal existing one (moved to the newest number when it
 * is not already), else a new one. Returns it with its hash.
 */
export async function ensureRevision(
  ctx: ControllerContext,
  owner: KubeObject,
  gvk: GroupVersionKind,
  revisions: ControllerRevision[],
  template: core.PodTemplateSpec | undefined,
  labels: Record<string, string>,
  collisionCount = 0,
): Promise<ControllerRevision> {
  const data = revisionData(template);
  const text = canonicalJson(data);
  const latest = revisions.reduce((max, r) => Math.max(max, r.revision ?? 0), 0);
  const ref = inNamespace(revisionsRef, owner.metadata?.namespace);
  const equal = revisions.filter((r) => canonicalJson(r.data) === text).at(-1);
  if (equal) {
    if ((equal.revision ?? 0) === latest) return equal;
    return ctx.client.update<ControllerRevision>(ref, { ...equal, revision: latest + 1 });
  }
  const hash = computeHash(template, collisionCount);
  const revision: ControllerRevision = {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name: `${owner.metadata?.name}-${hash}`,
      namespace: owner.metadata?.namespace,
      labels: { ...labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerRef(owner, gvk)],
    },
    data: data as ControllerRevision["data"],
    revision: latest + 1,
  };
  try {
    return await ctx.client.create<ControllerRevision>(ref, revision);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
    // Same name: ours and equal means the cache lagged; otherwise the caller bumps collisionCount.
    const existing = await ctx.client.get<ControllerRevision>(ref, revision.metadata?.name ?? "");
    if (getControllerOf(existing)?.uid === owner.metadata?.uid && canonicalJson(existing.data) === text)
      return existing;
    throw new RevisionCollision(revision.metadata?.name ?? "");
  }
}

export class RevisionCollision extends Error {
  constructor(name: string) {
    super(`ControllerRevision ${name} exists with a different template (hash collision)`);
  }
}

export function revisionHash(rev: ControllerRevision): string {
  return rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? "";
}

/** Deletes the oldest revisions no pod uses, keeping `limit` besides the live ones. */
export async function truncateHistory(
  ctx: ControllerContext,
  revisions: ControllerRevision[],
  live: Set<string>,
  limit: number,
): Promise<void> {
  const dead = revisions.filter((r) => !live.has(r.metadata?.name ?? ""));
  for (const r of dead.slice(0, Math.max(0, dead.length - limit))) {
    try {
      await ctx.client.delete(inNamespace(revisionsRef, r.metadata?.namespace), r.metadata?.name ?? "");
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
}
