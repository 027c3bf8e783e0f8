// How server-side apply by kubectl treats what client-side apply left behind, as upstream does: the
// last-applied-configuration annotation is kept in step with each server-side apply, and conflicts with
// fields the annotation shows as client-side applied (and unchanged since) do not stop the switch.

import type { KubeObject } from "../../api/types.ts";
import { compareObjects, fieldSetOf, type WalkOptions } from "./field-walk.ts";
import type { FieldSet } from "./fieldset.ts";
import { isObject } from "./json.ts";

/** The manager name kubectl's server-side apply uses; other appliers opt out of this by their name. */
export const kubectlApplier = "kubectl";

export const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * After `kubectl apply --server-side`, a client-side apply annotation left from earlier client-side applies
 * is rewritten to this configuration, so switching back to client-side apply does not undo it (upstream's
 * lastAppliedUpdater; other managers opt out by name).
 */
export function syncLastApplied(object: KubeObject, applied: KubeObject, manager: string): KubeObject {
  const annotations = object.metadata?.annotations;
  if (manager !== kubectlApplier || !annotations?.[lastAppliedAnnotation]) return object;
  const { [lastAppliedAnnotation]: _, ...appliedAnnotations } = applied.metadata?.annotations ?? {};
  const { annotations: __, ...appliedMeta } = applied.metadata ?? {};
  const config = {
    ...applied,
    metadata: Object.keys(appliedAnnotations).length
      ? { ...appliedMeta, annotations: appliedAnnotations }
      : appliedMeta,
  };
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: {
        ...annotations,
        [lastAppliedAnnotation]: JSON.stringify(config),
      },
    },
  };
}

/**
 * Fields a client-side apply set (in the annotation) that still hold the value it set: upstream's
 * lastAppliedManager lets kubectl's server-side apply take these over without a conflict. Undefined
 * when there is no usable annotation.
 */
export function conflictsAllowedByLastApplied(live: KubeObject, opts: WalkOptions): FieldSet | undefined {
  const text = live.metadata?.annotations?.[lastAppliedAnnotation];
  if (!text) return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(last) || last.apiVersion !== live.apiVersion) return undefined;
  const diff = compareObjects(last as KubeObject, live, opts);
  return fieldSetOf(last as KubeObject, opts)
    .difference(diff.modified)
    .difference(diff.added)
    .difference(diff.removed);
}
