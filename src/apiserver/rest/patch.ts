// PATCH bodies → the patched object, through the patch component (src/apiserver/patch/): JSON patch, merge patch,
// strategic merge patch with upstream's merge keys, and server-side apply. Its errors become Status errors here.

import type { KubeObject } from "../../api/types.ts";
import { applyPatch, PatchError, type PatchType } from "../patch/index.ts";
import { patchMetaForKind } from "../patch/openapi-meta.ts";
import { StatusError, unsupportedMediaType } from "../errors.ts";
import type { Patcher } from "./context.ts";

const PATCH_TYPES: Record<string, PatchType | "apply"> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
  "application/apply-patch+cbor": "apply",
};

export function patchTypeOf(contentType: string): PatchType | "apply" {
  const type = PATCH_TYPES[contentType];
  if (!type) throw unsupportedMediaType(contentType);
  return type;
}

/** Turns the patch component's errors into Status errors with the same code, reason and causes. */
export function patchStatusError(err: unknown): unknown {
  if (!(err instanceof PatchError)) return err;
  const status = {
    kind: "Status" as const,
    apiVersion: "v1" as const,
    metadata: {},
    status: "Failure",
    message: err.message,
    reason: err.reason,
    code: err.code,
    ...(err.causes ? { details: { causes: err.causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })) } } : {}),
  };
  return new StatusError(status);
}

export const defaultPatcher: Patcher = ({ descriptor, current, patch, contentType }) => {
  const type = patchTypeOf(contentType);
  const meta = patchMetaForKind({ group: descriptor.group, version: descriptor.version, kind: descriptor.kind });
  try {
    if (type === "apply") {
      // Until server-side apply with managedFields lands in the patch component, apply merges strategically.
      if (!current) return patch as KubeObject;
      return applyPatch({ current, patch, patchType: "strategic", meta });
    }
    if (!current) throw new Error("patch of a missing object");
    return applyPatch({ current, patch, patchType: type, meta });
  } catch (err) {
    throw patchStatusError(err);
  }
};
