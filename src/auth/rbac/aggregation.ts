// ClusterRole aggregation: a role with an aggregationRule holds the union of the rules of every ClusterRole whose
// labels match one of its selectors (how admin/edit/view pick up rules from CRD authors' roles).
import type { LabelSelector } from "kubernetes-types/meta/v1";
import type { ClusterRole, PolicyRule } from "kubernetes-types/rbac/v1";

export function labelSelectorMatches(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expr.key);
    const value = labels[expr.key];
    const values = expr.values ?? [];
    const ok =
      expr.operator === "In"
        ? has && values.includes(value as string)
        : expr.operator === "NotIn"
          ? !has || !values.includes(value as string)
          : expr.operator === "Exists"
            ? has
            : expr.operator === "DoesNotExist"
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/**
 * The rules `role` should hold: its own when it does not aggregate, otherwise the de-duplicated union of the rules
 * of the matching roles, in name order so the result is stable (the aggregation controller writes only on change).
 */
export function aggregatedClusterRoleRules(role: ClusterRole, all: ClusterRole[]): PolicyRule[] {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!selectors) return role.rules ?? [];
  const sources = all
    .filter((r) => r.metadata?.name !== role.metadata?.name)
    .filter((r) => selectors.some((s) => labelSelectorMatches(s, r.metadata?.labels)))
    .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  const seen = new Set<string>();
  const rules: PolicyRule[] = [];
  for (const source of sources) {
    for (const rule of source.rules ?? []) {
      const key = JSON.stringify(rule);
      if (!seen.has(key)) {
        seen.add(key);
        rules.push(rule);
      }
    }
  }
  return rules;
}

/**
 * Fills in the rules of every aggregating role in `roles`. Aggregation chains (view → edit → admin) resolve
 * because the aggregated roles' own labels feed the next one; repeat until nothing changes.
 */
export function resolveAggregation(roles: ClusterRole[]): ClusterRole[] {
  let current = roles.map((r) => ({ ...r }));
  for (let pass = 0; pass < 5; pass++) {
    let changed = false;
    current = current.map((r) => {
      if (!r.aggregationRule) return r;
      const rules = aggregatedClusterRoleRules(r, current);
      if (JSON.stringify(rules) === JSON.stringify(r.rules ?? [])) return r;
      changed = true;
      return { ...r, rules };
    });
    if (!changed) break;
  }
  return current;
}
