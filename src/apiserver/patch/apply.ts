// Server-side apply (application/apply-patch+yaml): merges the applied configuration into the live object,
// makes the applier own exactly the fields it applied, removes fields it applied before and dropped (unless
// another manager owns them), and refuses to change fields other managers own unless forced.

import type { KubeObject } from "../../api/types.ts";
import { mergeApplied, removePath } from "./apply-merge.ts";
import { ApplyConflictError, badPatch } from "./errors.ts";
import { compareObjects, fieldSetOf, type WalkOptions } from "./field-walk.ts";
import type { FieldSet } from "./fieldset.ts";
import { cloneJson, isObject, type JsonObject } from "./json.ts";
import { conflictsAllowedByLastApplied, kubectlApplier, syncLastApplied } from "./last-applied.ts";
import { type Manager, sameManager } from "./managed-fields.ts";
import { noPatchMeta, type PatchMeta } from "./meta.ts";
import { conflictError } from "./ownership.ts";
import { commitManagers, managersOf, type TrackedFields } from "./tracking.ts";

export interface ApplyInput extends TrackedFields {
  current?: KubeObject;
  applied: KubeObject;
  manager: string;
  force: boolean;
  meta?: PatchMeta;
  now: string;
  subresource?: string;
}

export function serverSideApply(input: ApplyInput): { object: KubeObject } {
  const config = checkedConfiguration(input.applied);
  const opts: WalkOptions = {
    meta: input.meta ?? noPatchMeta,
    ignore: input.ignoreFields,
    only: input.onlyFields,
  };
  try {
    return applyOnce(input, config, opts, input.force);
  } catch (err) {
    // kubectl taking over from its own client-side apply: conflicts the annotation explains are forced.
    const { current } = input;
    if (!(err instanceof ApplyConflictError) || input.force) throw err;
    if (input.manager !== kubectlApplier || !current) throw err;
    const allowed = conflictsAllowedByLastApplied(current, opts);
    if (!allowed) throw err;
    const remaining = err.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw conflictError(remaining);
    return applyOnce(input, config, opts, true);
  }
}

function applyOnce(input: ApplyInput, config: KubeObject, opts: WalkOptions, force: boolean): { object: KubeObject } {
  const current = input.current;
  const actor: Omit<Manager, "fields"> = {
    manager: input.manager,
    operation: "Apply",
    apiVersion: String(config.apiVersion),
    ...(input.subresource ? { subresource: input.subresource } : {}),
  };
  const managers = managersOf(current, undefined, opts, true);
  const previous = managers.find((m) => sameManager(m, actor));
  const others = managers.filter((m) => m !== previous);
  const collected = fieldSetOf(config, opts);
  // Re-applying the same fields keeps the decoded set, whose FieldsV1 is then reused as it is.
  const applied = previous?.fields.equals(collected) ? previous.fields : collected;

  const merged = mergeApplied(current ? cloneJson(current) : {}, config, opts.meta) as KubeObject;
  if (previous) pruneDropped(merged, previous.fields.difference(applied), others, applied, opts.meta);

  const object = commitManagers({
    previous,
    next: merged,
    change: compareObjects(current, merged, opts),
    managers: [...others, { ...actor, fields: applied }],
    actor,
    force,
    now: input.now,
  });
  return { object: syncLastApplied(object, input.applied, input.manager) };
}

/** The applied object without nulls (an applier cannot own "nothing"), checked as upstream checks it. */
function checkedConfiguration(applied: KubeObject): KubeObject {
  if (!isObject(applied)) throw badPatch("apply patch must be an object");
  if (typeof applied.apiVersion !== "string" || applied.apiVersion === "")
    throw badPatch("apiVersion must be set in the apply configuration");
  if (typeof applied.kind !== "string" || applied.kind === "")
    throw badPatch("kind must be set in the apply configuration");
  if (applied.metadata?.managedFields != null) throw badPatch("metadata.managedFields must be nil");
  return withoutNulls(applied) as KubeObject;
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(withoutNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}

/**
 * Removes what the applier dropped from its configuration, except what it still applies or another manager
 * owns; a dropped item someone else owns part of stays, with the dropped parts inside it removed.
 */
function pruneDropped(
  merged: KubeObject,
  dropped: FieldSet,
  others: readonly Manager[],
  applied: FieldSet,
  meta: PatchMeta,
): void {
  if (dropped.isEmpty()) return;
  const owned = others.reduce((acc, m) => acc.union(m.fields), applied);
  for (const path of dropped.paths()) {
    const node = owned.at(path);
    if (node && !node.isEmpty()) continue;
    removePath(merged as JsonObject, path, meta);
  }
}
