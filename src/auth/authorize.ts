// The API server's authorization chain, in upstream's order: the privileged group system:masters (always
// allowed, so deleting the cluster-admin binding cannot lock the admin out), then the Node authorizer, then RBAC.
// Also answers "what may this user do" for SelfSubjectRulesReview / `kubectl auth can-i --list`.
import type { PolicyRule } from "kubernetes-types/rbac/v1";
import type { UserInfo } from "../api/types.ts";
import { createNodeAuthorizer, type NodeGraphSource, nodeNameOf } from "./node-authorizer.ts";
import { createRbacAuthorizer, type RbacSource } from "./rbac/authorizer.ts";
import { nodeRules } from "./rbac/bootstrap-roles.ts";
import type { AuthorizationAttributes, AuthorizationDecision } from "./rbac/rules.ts";

export const PRIVILEGED_GROUP = "system:masters";
const EVERYTHING: PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
  { verbs: ["*"], nonResourceURLs: ["*"] },
];

export interface Authorizer {
  authorize(user: UserInfo, attrs: AuthorizationAttributes): Promise<AuthorizationDecision>;
  /** Rules that apply to the user in `namespace`; `incomplete` when an authorizer decides per object (Node). */
  rulesFor(user: UserInfo, namespace?: string): Promise<{ rules: PolicyRule[]; incomplete: boolean }>;
  /** Escalation check for creating/updating roles and bindings. */
  canGrant(
    user: UserInfo,
    rules: PolicyRule[],
    namespace?: string,
  ): Promise<{ allowed: boolean; missing: PolicyRule[] }>;
}

export function createAuthorizer(sources: { rbac: RbacSource; nodeGraph: NodeGraphSource }): Authorizer {
  const rbac = createRbacAuthorizer(sources.rbac);
  const node = createNodeAuthorizer(sources.nodeGraph, rbac.authorize);
  const privileged = (user: UserInfo) => user.groups.includes(PRIVILEGED_GROUP);

  return {
    async authorize(user, attrs) {
      if (privileged(user)) return { allowed: true, reason: `allowed by group "${PRIVILEGED_GROUP}"` };
      return node(user, attrs);
    },
    async rulesFor(user, namespace) {
      if (privileged(user)) return { rules: EVERYTHING, incomplete: false };
      const rules = await rbac.rulesFor(user, namespace);
      if (nodeNameOf(user)) return { rules: [...nodeRules, ...rules], incomplete: true };
      return { rules, incomplete: false };
    },
    async canGrant(user, rules, namespace) {
      if (privileged(user)) return { allowed: true, missing: [] };
      return rbac.canGrant(user, rules, namespace);
    },
  };
}
