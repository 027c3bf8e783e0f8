// Escalation prevention on RBAC writes, as upstream's policy-based storage: creating or updating a Role or
// ClusterRole needs every rule held already (or the `escalate` verb on it); a RoleBinding or ClusterRoleBinding
// needs the referenced role's rules held in that scope (or the `bind` verb on the role). The API server calls
// this before storing any of the four kinds.
import type { ClusterRole, PolicyRule, Role, RoleBinding } from "kubernetes-types/rbac/v1";
import type { KubeObject, UserInfo } from "../../api/types.ts";
import { aggregatedClusterRoleRules } from "./aggregation.ts";
import { rulesCover } from "./escalation.ts";
import type { AuthorizationAttributes, AuthorizationDecision } from "./rules.ts";

type MaybePromise<T> = T | Promise<T>;
const GROUP = "rbac.authorization.k8s.io";

export interface EscalationCheckDeps {
  authorize(user: UserInfo, attrs: AuthorizationAttributes): Promise<AuthorizationDecision>;
  rulesFor(user: UserInfo, namespace?: string): Promise<{ rules: PolicyRule[] }>;
  getRole(namespace: string, name: string): MaybePromise<Role | undefined>;
  getClusterRole(name: string): MaybePromise<ClusterRole | undefined>;
  listClusterRoles?(): MaybePromise<ClusterRole[]>;
}

export type EscalationVerdict = { allowed: true } | { allowed: false; code: 403 | 404; message: string };

export async function checkRbacEscalation(
  deps: EscalationCheckDeps,
  user: UserInfo,
  obj: KubeObject,
): Promise<EscalationVerdict> {
  const ns = obj.metadata?.namespace ?? "";
  const name = obj.metadata?.name ?? "";
  switch (obj.kind) {
    case "Role":
    case "ClusterRole": {
      const plural = obj.kind === "Role" ? "roles" : "clusterroles";
      const scope = obj.kind === "Role" ? ns : undefined;
      if (await allows(deps, user, { verb: "escalate", apiGroup: GROUP, resource: plural, namespace: scope, name }))
        return { allowed: true };
      if (obj.kind === "ClusterRole" && (obj as ClusterRole).aggregationRule) {
        // Aggregated rules come from other roles; only someone holding everything may set that up.
        const all = await rulesCoveredIn(deps, user, undefined, [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]);
        if (all.length === 0) return { allowed: true };
        return forbidden(plural, name, "must have cluster-admin privileges to use the aggregationRule");
      }
      const missing = await rulesCoveredIn(deps, user, scope, (obj as Role).rules ?? []);
      return missing.length === 0 ? { allowed: true } : forbidden(plural, name, notHeld(user, missing));
    }
    case "RoleBinding":
    case "ClusterRoleBinding": {
      const plural = obj.kind === "RoleBinding" ? "rolebindings" : "clusterrolebindings";
      const scope = obj.kind === "RoleBinding" ? ns : undefined;
      const ref = (obj as RoleBinding).roleRef;
      const refPlural = ref?.kind === "Role" ? "roles" : "clusterroles";
      const bind = {
        verb: "bind",
        apiGroup: GROUP,
        resource: refPlural,
        namespace: ref?.kind === "Role" ? ns : undefined,
        name: ref?.name,
      };
      if (await allows(deps, user, bind)) return { allowed: true };
      const rules = await roleRefRules(deps, ref?.kind, ns, ref?.name ?? "");
      if (!rules) return { allowed: false, code: 404, message: `${refPlural}.${GROUP} "${ref?.name ?? ""}" not found` };
      const missing = await rulesCoveredIn(deps, user, scope, rules);
      return missing.length === 0 ? { allowed: true } : forbidden(plural, name, notHeld(user, missing));
    }
    default:
      return { allowed: true };
  }
}

async function allows(deps: EscalationCheckDeps, user: UserInfo, attrs: AuthorizationAttributes): Promise<boolean> {
  return (await deps.authorize(user, attrs)).allowed;
}

async function rulesCoveredIn(
  deps: EscalationCheckDeps,
  user: UserInfo,
  namespace: string | undefined,
  rules: PolicyRule[],
) {
  return rulesCover((await deps.rulesFor(user, namespace)).rules, rules).uncovered;
}

async function roleRefRules(deps: EscalationCheckDeps, kind: string | undefined, ns: string, name: string) {
  if (kind === "Role") return (await deps.getRole(ns, name))?.rules ?? (undefined as PolicyRule[] | undefined);
  if (kind !== "ClusterRole") return undefined;
  const role = await deps.getClusterRole(name);
  if (!role) return undefined;
  if (role.aggregationRule && deps.listClusterRoles)
    return aggregatedClusterRoleRules(role, await deps.listClusterRoles());
  return role.rules ?? [];
}

function forbidden(plural: string, name: string, why: string): EscalationVerdict {
  return { allowed: false, code: 403, message: `${plural}.${GROUP} "${name}" is forbidden: ${why}` };
}

/** Upstream's wording, with each missing rule in its compact form. */
function notHeld(user: UserInfo, missing: PolicyRule[]): string {
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(" ")}]`;
  return `user "${user.username}" (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${compactRules(missing).map(compactRule).join("\n")}`;
}

/** Merges the verbs of single-verb rules that name the same things (upstream's CompactRules). */
function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const byTarget = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const { verbs, ...target } = rule;
    const key = JSON.stringify(target);
    const seen = byTarget.get(key);
    if (seen) seen.verbs = [...new Set([...seen.verbs, ...verbs])];
    else byTarget.set(key, { ...target, verbs: [...verbs] });
  }
  return [...byTarget.values()];
}

export function compactRule(rule: PolicyRule): string {
  const list = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(", ")}]`;
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${list(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${list(rule.resources)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${list(rule.resourceNames)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${list(rule.nonResourceURLs)}`);
  parts.push(`Verbs:${list(rule.verbs)}`);
  return `{${parts.join(", ")}}`;
}
