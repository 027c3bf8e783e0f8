// Escalation prevention: a user may only create or bind a role whose rules it already holds (upstream's
// validation.Covers). Each requested rule is broken into single verb/group/resource/name rules, each of which
// some held rule must cover.
import type { PolicyRule } from "kubernetes-types/rbac/v1";

export function rulesCover(
  owner: PolicyRule[],
  requested: PolicyRule[],
): { covered: boolean; uncovered: PolicyRule[] } {
  const uncovered: PolicyRule[] = [];
  for (const simple of requested.flatMap(breakdownRule)) {
    if (!owner.some((o) => ruleCovers(o, simple))) uncovered.push(simple);
  }
  return { covered: uncovered.length === 0, uncovered };
}

function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
        for (const name of names) {
          const simple: PolicyRule = { verbs: [verb], apiGroups: [group], resources: [resource] };
          if (name !== undefined) simple.resourceNames = [name];
          out.push(simple);
        }
      }
    }
  }
  return out;
}

function ruleCovers(owner: PolicyRule, simple: PolicyRule): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === "*" || v === value);
  if (!has(owner.verbs, simple.verbs[0] as string)) return false;
  const url = simple.nonResourceURLs?.[0];
  if (url !== undefined) {
    return (owner.nonResourceURLs ?? []).some(
      (u) => u === "*" || u === url || (u.endsWith("*") && url.startsWith(u.slice(0, -1))),
    );
  }
  if (!has(owner.apiGroups, simple.apiGroups?.[0] as string)) return false;
  const resource = simple.resources?.[0] as string;
  const sub = resource.includes("/") ? resource.slice(resource.indexOf("/")) : undefined;
  const resourceOk = (owner.resources ?? []).some(
    (r) => r === "*" || r === resource || (sub !== undefined && r === `*${sub}`),
  );
  if (!resourceOk) return false;
  if (!owner.resourceNames?.length) return true;
  const name = simple.resourceNames?.[0];
  return name !== undefined && owner.resourceNames.includes(name);
}
