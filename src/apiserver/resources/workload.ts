// Shared by the workload controllers' descriptors (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob):
// pod-template defaulting and validation, selector/template agreement, and the Scale subresource paths.

import type { KubeObject } from "../../api/types.ts";
import { type FieldError, invalidValue, required } from "../validation.ts";
import { defaultPodSpec, validatePodSpec } from "./pods.ts";
import type { ScaleSpec } from "./types.ts";

export const REPLICAS_SCALE: ScaleSpec = { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas" };

export function defaultTemplate(template: KubeObject | undefined): void {
  if (template) defaultPodSpec(template.spec);
}

function selectorMatches(selector: KubeObject | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries((selector.matchLabels ?? {}) as Record<string, string>))
    if (labels[k] !== v) return false;
  for (const e of (selector.matchExpressions ?? []) as { key: string; operator: string; values?: string[] }[]) {
    const has = e.key in labels;
    const val = labels[e.key];
    if (e.operator === "In" && !(has && e.values?.includes(val))) return false;
    if (e.operator === "NotIn" && has && e.values?.includes(val)) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

/** A selector plus a template whose labels it must select (upstream's wording). */
export function validateSelectorAndTemplate(
  spec: KubeObject | undefined,
  templatePath: string,
  selectorRequired = true,
): FieldError[] {
  const errs: FieldError[] = [];
  const selector = spec?.selector;
  const emptySelector =
    !selector || (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length);
  if (selectorRequired && emptySelector) errs.push(required("spec.selector"));
  const template = templatePath
    .split(".")
    .slice(1)
    .reduce<KubeObject | undefined>((o, k) => o?.[k], spec);
  if (!template) return [...errs, required(templatePath)];
  const labels = (template.metadata?.labels ?? {}) as Record<string, string>;
  if (!emptySelector && !selectorMatches(selector, labels)) {
    errs.push(invalidValue(`${templatePath}.metadata.labels`, labels, "`selector` does not match template `labels`"));
  }
  errs.push(...validatePodSpec(template.spec, `${templatePath}.spec`));
  return errs;
}

/** Upstream forbids changing a workload's selector after creation (apps/v1). */
export function immutableSelector(obj: KubeObject, old: KubeObject): FieldError[] {
  return JSON.stringify(obj.spec?.selector) === JSON.stringify(old.spec?.selector)
    ? []
    : [invalidValue("spec.selector", obj.spec?.selector, "field is immutable")];
}

export const replicasValid = (obj: KubeObject): FieldError[] =>
  obj.spec?.replicas != null && (!Number.isInteger(obj.spec.replicas) || obj.spec.replicas < 0)
    ? [invalidValue("spec.replicas", obj.spec.replicas, "must be greater than or equal to 0")]
    : [];
