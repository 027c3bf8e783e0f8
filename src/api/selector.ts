// Label selector matching (metav1.LabelSelector and plain map selectors) against object labels, as upstream's
// labels.Selector does. An empty LabelSelector matches everything; a nil one matches nothing.

import type { meta } from "./types.ts";

type Labels = Record<string, string> | undefined;

/** Whether `labels` satisfy the selector; `undefined` selects nothing, `{}` selects everything. */
export function selectorMatches(selector: meta.LabelSelector | undefined | null, labels: Labels): boolean {
  if (!selector) return false;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!present || !values.includes(have[req.key])) return false;
        break;
      case "NotIn":
        if (present && values.includes(have[req.key])) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A Service-style selector (plain map): empty or missing selects nothing, as for Endpoints. */
export function mapSelectorMatches(selector: Record<string, string> | undefined, labels: Labels): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return selectorMatches({ matchLabels: selector }, labels);
}

/** The `labelSelector` query string for a selector, for list calls. */
export function selectorString(selector: meta.LabelSelector | undefined): string {
  if (!selector) return "";
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = (req.values ?? []).join(",");
    if (req.operator === "In") parts.push(`${req.key} in (${values})`);
    else if (req.operator === "NotIn") parts.push(`${req.key} notin (${values})`);
    else if (req.operator === "Exists") parts.push(req.key);
    else if (req.operator === "DoesNotExist") parts.push(`!${req.key}`);
  }
  return parts.join(",");
}
