// PATCH and server-side apply for the API server. The generic REST code calls these; they know nothing of HTTP,
// storage or admission, only of objects, so each is a pure function of its input.
//
//   applyPatch({ current, patch, patchType: "json" | "merge" | "strategic", meta? }) → KubeObject
//       `patch` is the parsed request body. `meta` (patchMetaForKind(gvk) for built-in kinds) gives the list
//       strategies strategic merge needs; without it lists are replaced. Throws PatchError (400 malformed patch,
//       422 an operation that does not apply, 413 too many JSON patch operations).
//   serverSideApply({ current?, applied, manager, force, meta?, now }) → { object }
//       merges the applied configuration into the live object (or creates it), records `manager`'s ownership
//       in metadata.managedFields (operation Apply), removes fields the manager applied before and now omits
//       when no other manager owns them. Throws ApplyConflictError (409) on conflicts unless `force`, and
//       PatchError 400 for a configuration without apiVersion/kind or with managedFields. As upstream, the
//       manager "kubectl" takes over fields its client-side apply set (last-applied annotation) without a
//       conflict and keeps that annotation in step.
//   updateManagedFields({ previous?, next, manager, operation: "Update", subresource?, now, meta? }) → KubeObject
//       for every other write (create, update, patch): `next` with managedFields updated so `manager` owns
//       what it changed and other managers lose it.
//
// For the API server's write paths, patcher.ts wraps these with the per-kind choices (patch metadata of
// built-in kinds and CRDs, status reset fields, default field manager from the User-Agent):
//   patchObject({ kind, current, patch, patchType, fieldManager, force, subresource?, now? }) → KubeObject
//   trackWrite({ kind, previous, next, fieldManager?, userAgent?, subresource?, now? }) → KubeObject
//
// The caller still does what kube-apiserver does around these: resourceVersion preconditions, name/kind
// checks, defaulting, validation, status/spec reset per subresource.

export type { ApplyInput } from "./apply.ts";
export { serverSideApply } from "./apply.ts";
export { applyPatch, type PatchType } from "./apply-patch.ts";
export type { PatchCause } from "./errors.ts";
export { ApplyConflictError, PatchError, statusOf } from "./errors.ts";
export type { FieldStrategy, PatchMeta } from "./meta.ts";
export { noPatchMeta, staticPatchMeta } from "./meta.ts";
export { patchMetaForKind } from "./openapi-meta.ts";
export type { KindInfo } from "./patcher.ts";
export {
  defaultFieldManager,
  endpointFields,
  nowRfc3339,
  patchMetaOf,
  patchObject,
  trackWrite,
} from "./patcher.ts";
export { patchMetaFromSchema } from "./schema-meta.ts";
export type { UpdateInput } from "./update.ts";
export { updateManagedFields } from "./update.ts";
