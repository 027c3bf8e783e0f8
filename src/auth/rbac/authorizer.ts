// The RBAC authorizer, as upstream: a request is allowed when some ClusterRoleBinding (any namespace) or a
// RoleBinding in the request's namespace names the user, directly or through a group or ServiceAccount, and the
// bound role has a rule covering the request. Roles and bindings come from a source the API server keeps current.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from "kubernetes-types/rbac/v1";
import type { UserInfo } from "../../api/types.ts";
import { aggregatedClusterRoleRules } from "./aggregation.ts";
import { rulesCover } from "./escalation.ts";
import { type AuthorizationAttributes, type AuthorizationDecision, rulesAllow } from "./rules.ts";

type MaybePromise<T> = T | Promise<T>;

/** The current RBAC objects (the API server feeds this from its cache of the store). */
export interface RbacSource {
  listRoleBindings(namespace: string): MaybePromise<RoleBinding[]>;
  listClusterRoleBindings(): MaybePromise<ClusterRoleBinding[]>;
  getRole(namespace: string, name: string): MaybePromise<Role | undefined>;
  getClusterRole(name: string): MaybePromise<ClusterRole | undefined>;
  /** When given, aggregating ClusterRoles are resolved live instead of relying on their stored rules. */
  listClusterRoles?(): MaybePromise<ClusterRole[]>;
  /**
   * A number that changes whenever any Role, ClusterRole or binding does. When given, decisions are remembered
   * until it changes: walking every binding on each request is most of an authorized GET's cost.
   */
  version?(): number;
}

/** Decisions remembered per RBAC version; the map starts over when full (distinct names make distinct keys). */
const DECISION_CACHE_LIMIT = 8192;

export interface RbacAuthorizer {
  authorize(user: UserInfo, attrs: AuthorizationAttributes): Promise<AuthorizationDecision>;
  /** Every rule that applies to the user in `namespace` (cluster-wide ones included): SelfSubjectRulesReview. */
  rulesFor(user: UserInfo, namespace?: string): Promise<PolicyRule[]>;
  /** Escalation check: may `user` grant `rules` (in `namespace`, or cluster-wide) — does it hold them all? */
  canGrant(
    user: UserInfo,
    rules: PolicyRule[],
    namespace?: string,
  ): Promise<{ allowed: boolean; missing: PolicyRule[] }>;
}

interface Grant {
  rules: PolicyRule[];
  describe: string;
}

export function createRbacAuthorizer(source: RbacSource): RbacAuthorizer {
  async function clusterRoleRules(name: string): Promise<PolicyRule[] | undefined> {
    const role = await source.getClusterRole(name);
    if (!role) return undefined;
    if (role.aggregationRule && source.listClusterRoles) {
      return aggregatedClusterRoleRules(role, await source.listClusterRoles());
    }
    return role.rules ?? [];
  }

  /** Visits the grants that apply to the user; stops early when `visit` returns true. */
  async function visitGrants(
    user: UserInfo,
    namespace: string | undefined,
    visit: (grant: Grant) => boolean,
    errors: string[],
  ): Promise<boolean> {
    for (const crb of await source.listClusterRoleBindings()) {
      const subject = (crb.subjects ?? []).find((s) => appliesTo(user, s, ""));
      if (!subject || crb.roleRef.kind !== "ClusterRole") continue;
      const rules = await clusterRoleRules(crb.roleRef.name);
      if (!rules) {
        errors.push(`clusterrole.rbac.authorization.k8s.io "${crb.roleRef.name}" not found`);
        continue;
      }
      const describe = `ClusterRoleBinding "${crb.metadata?.name}" of ClusterRole "${crb.roleRef.name}" to ${describeSubject(subject)}`;
      if (visit({ rules, describe })) return true;
    }
    if (!namespace) return false;
    for (const rb of await source.listRoleBindings(namespace)) {
      const subject = (rb.subjects ?? []).find((s) => appliesTo(user, s, namespace));
      if (!subject) continue;
      const isClusterRole = rb.roleRef.kind === "ClusterRole";
      const rules = isClusterRole
        ? await clusterRoleRules(rb.roleRef.name)
        : ((await source.getRole(namespace, rb.roleRef.name))?.rules ?? (undefined as PolicyRule[] | undefined));
      if (!rules) {
        errors.push(
          isClusterRole
            ? `clusterrole.rbac.authorization.k8s.io "${rb.roleRef.name}" not found`
            : `role.rbac.authorization.k8s.io "${rb.roleRef.name}" not found`,
        );
        continue;
      }
      const describe = `RoleBinding "${rb.metadata?.name}/${namespace}" of ${rb.roleRef.kind} "${rb.roleRef.name}" to ${describeSubject(subject)}`;
      if (visit({ rules, describe })) return true;
    }
    return false;
  }

  let decisionsAt: number | undefined;
  const decisions = new Map<string, AuthorizationDecision>();

  async function authorize(user: UserInfo, attrs: AuthorizationAttributes): Promise<AuthorizationDecision> {
    const version = source.version?.();
    if (version === undefined) return decide(user, attrs);
    if (version !== decisionsAt) {
      decisions.clear();
      decisionsAt = version;
    }
    const key = decisionKey(user, attrs);
    const hit = decisions.get(key);
    if (hit) return hit;
    const decision = await decide(user, attrs);
    // Only if nothing changed while deciding (the sources may be read asynchronously).
    if (source.version?.() === version) {
      if (decisions.size >= DECISION_CACHE_LIMIT) decisions.clear();
      decisions.set(key, decision);
    }
    return decision;
  }

  async function decide(user: UserInfo, attrs: AuthorizationAttributes): Promise<AuthorizationDecision> {
    const errors: string[] = [];
    let reason = "";
    const allowed = await visitGrants(
      user,
      attrs.namespace || undefined,
      (grant) => {
        if (!rulesAllow(grant.rules, attrs)) return false;
        reason = `RBAC: allowed by ${grant.describe}`;
        return true;
      },
      errors,
    );
    if (allowed) return { allowed, reason };
    return errors.length > 0 ? { allowed, reason: `RBAC: [${errors.join(", ")}]` } : { allowed };
  }

  async function rulesFor(user: UserInfo, namespace?: string): Promise<PolicyRule[]> {
    const rules: PolicyRule[] = [];
    await visitGrants(
      user,
      namespace,
      (grant) => {
        rules.push(...grant.rules);
        return false;
      },
      [],
    );
    return rules;
  }

  async function canGrant(user: UserInfo, rules: PolicyRule[], namespace?: string) {
    const { covered, uncovered } = rulesCover(await rulesFor(user, namespace), rules);
    return { allowed: covered, missing: uncovered };
  }

  return { authorize, rulesFor, canGrant };
}

/** Everything an RBAC decision depends on besides the RBAC objects: who, and what they ask for. */
function decisionKey(user: UserInfo, a: AuthorizationAttributes): string {
  return [
    user.username,
    JSON.stringify(user.groups), // unambiguous, whatever a group name contains
    a.verb,
    a.apiGroup ?? "",
    a.resource ?? "",
    a.subresource ?? "",
    a.namespace ?? "",
    a.name ?? "",
    a.path ?? "",
  ].join("\u0000");
}

/** Upstream's appliesToUser: a ServiceAccount subject without namespace means the binding's own namespace. */
export function appliesTo(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return user.username === subject.name;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount": {
      const ns = subject.namespace || namespace;
      return ns !== "" && user.username === `system:serviceaccount:${ns}:${subject.name}`;
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject): string {
  return subject.kind === "ServiceAccount"
    ? `ServiceAccount "${subject.name}/${subject.namespace ?? ""}"`
    : `${subject.kind} "${subject.name}"`;
}
