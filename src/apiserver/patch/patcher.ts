// The two calls the API server's write paths make, with the per-kind and per-endpoint choices made here:
// `patchObject` for PATCH (all four content types) and `trackWrite` for the managedFields of every other
// write (create, update, non-apply patch, status and scale writes). Neither touches storage.

import type { KubeObject } from "../../api/types.ts";
import { serverSideApply } from "./apply.ts";
import { applyPatch, type PatchType } from "./apply-patch.ts";
import { PatchError } from "./errors.ts";
import { noPatchMeta, type PatchMeta } from "./meta.ts";
import { patchMetaForKind } from "./openapi-meta.ts";
import { patchMetaFromSchema } from "./schema-meta.ts";
import type { TrackedFields } from "./tracking.ts";
import { updateManagedFields } from "./update.ts";

/** What patching needs to know about a resource type (a ResourceDescriptor fits). */
export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  /** Has a status subresource: main-resource writes do not own status, status writes own only status. */
  status?: boolean;
  /** A custom resource: list types come from `schema` when given (none for strategic merge). */
  custom?: boolean;
  /** The OpenAPI v3 schema of a custom resource's version. */
  schema?: unknown;
}

const builtinMeta = new Map<string, PatchMeta>();
const customMeta = new WeakMap<object, PatchMeta>();

/** Patch metadata of a kind: upstream's tags for built-in kinds, the CRD's list types for custom ones. */
export function patchMetaOf(kind: KindInfo): PatchMeta {
  if (kind.custom) {
    const schema = typeof kind.schema === "object" && kind.schema !== null ? kind.schema : undefined;
    if (!schema) return patchMetaFromSchema(undefined);
    const meta = customMeta.get(schema) ?? patchMetaFromSchema(schema);
    customMeta.set(schema, meta);
    return meta;
  }
  const key = `${kind.group}/${kind.version}/${kind.kind}`;
  const meta = builtinMeta.get(key) ?? patchMetaForKind(kind);
  builtinMeta.set(key, meta);
  return meta;
}

/** Which top-level fields a write through this endpoint can own (upstream's reset fields per strategy). */
export function endpointFields(kind: KindInfo, subresource?: string): TrackedFields {
  if (subresource === "status") return { onlyFields: ["status"] };
  if (!subresource && kind.status) return { ignoreFields: ["status"] };
  return {};
}

/** RFC 3339 to the second, as managedFields times are written. */
export function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** upstream: the default field manager is the User-Agent's product name ("kubectl", "kube-controller-manager"). */
export function defaultFieldManager(userAgent: string | undefined | null): string {
  return (userAgent ?? "").split("/")[0].slice(0, 128) || "unknown";
}

/**
 * The patched object. For "apply" it carries its managedFields already (do not call trackWrite for it);
 * for the other types call trackWrite on the final object, as for any update. `current` undefined is only
 * valid for apply (create through apply).
 */
export function patchObject(input: {
  kind: KindInfo;
  current: KubeObject | undefined;
  patch: unknown;
  patchType: PatchType | "apply";
  fieldManager: string;
  force: boolean;
  subresource?: string;
  now?: string;
}): KubeObject {
  const { kind, current, patchType } = input;
  const meta = patchMetaOf(kind);
  if (patchType === "apply")
    return serverSideApply({
      current,
      applied: input.patch as KubeObject,
      manager: input.fieldManager,
      force: input.force,
      meta,
      now: input.now ?? nowRfc3339(),
      subresource: input.subresource,
      ...endpointFields(kind, input.subresource),
    }).object;
  if (!current) throw new PatchError(422, "Invalid", "cannot patch an object that does not exist");
  // Upstream answers 415 to strategic merge on custom resources. kubectl sends it only when the OpenAPI
  // document offers it for the kind; until ours stops offering it for CRDs, accept it with the meaning
  // kubectl computed the patch for (no patch strategies: lists replaced).
  if (patchType === "strategic" && kind.custom)
    return applyPatch({
      current,
      patch: input.patch,
      patchType,
      meta: noPatchMeta,
    });
  return applyPatch({ current, patch: input.patch, patchType, meta });
}

/** `next` with managedFields updated for a non-apply write by `fieldManager` (or the User-Agent's default). */
export function trackWrite(input: {
  kind: KindInfo;
  previous: KubeObject | undefined;
  next: KubeObject;
  fieldManager?: string;
  userAgent?: string | null;
  subresource?: string;
  now?: string;
}): KubeObject {
  return updateManagedFields({
    previous: input.previous,
    next: input.next,
    manager: input.fieldManager || defaultFieldManager(input.userAgent),
    operation: "Update",
    subresource: input.subresource,
    now: input.now ?? nowRfc3339(),
    meta: patchMetaOf(input.kind),
    ...endpointFields(input.kind, input.subresource),
  });
}
