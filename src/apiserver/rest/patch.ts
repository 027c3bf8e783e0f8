// PATCH bodies → the patched object, through the patch component (src/apiserver/patch/): JSON patch, merge patch,
// strategic merge patch with upstream's merge keys, and server-side apply. Its errors become Status errors here.

import type { KubeObject } from "../../api/types.ts";
import { crdSchemaOf } from "../crd/descriptor.ts";
import { StatusError, unsupportedMediaType } from "../errors.ts";
import { type KindInfo, PatchError, type PatchType, patchObject, trackWrite } from "../patch/index.ts";
import type { ResourceDescriptor } from "../resources/types.ts";
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
    ...(err.causes
      ? { details: { causes: err.causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })) } }
      : {}),
  };
  return new StatusError(status);
}

/** What the patch component needs to know of a type; CRDs carry their schema (list types, no strategic merge). */
export function kindInfo(d: ResourceDescriptor): KindInfo {
  const schema = crdSchemaOf(d);
  return { group: d.group, version: d.version, kind: d.kind, status: !!d.status, custom: schema !== undefined, schema };
}

export const defaultPatcher: Patcher = ({
  descriptor,
  current,
  patch,
  contentType,
  fieldManager,
  force,
  subresource,
}) => {
  try {
    return patchObject({
      kind: kindInfo(descriptor),
      current,
      patch,
      patchType: patchTypeOf(contentType),
      fieldManager,
      force,
      subresource,
    });
  } catch (err) {
    throw patchStatusError(err);
  }
};

/** managedFields for a non-apply write by this request's field manager (or its User-Agent). */
export function trackManagedFields(
  d: ResourceDescriptor,
  previous: KubeObject | undefined,
  next: KubeObject,
  req: Request,
  fieldManager: string | null,
  subresource?: string,
): KubeObject {
  try {
    return trackWrite({
      kind: kindInfo(d),
      previous,
      next,
      fieldManager: fieldManager ?? undefined,
      userAgent: req.headers.get("user-agent"),
      subresource,
    });
  } catch (err) {
    throw patchStatusError(err);
  }
}
