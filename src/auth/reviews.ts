// The bodies of the authentication/authorization review APIs, as pure functions the API server's virtual
// resources call: TokenReview, SelfSubjectReview (kubectl auth whoami), SubjectAccessReview (+ Self, Local) and
// SelfSubjectRulesReview (kubectl auth can-i --list).

import type { UserInfo as ReviewUserInfo, TokenReviewStatus } from "kubernetes-types/authentication/v1";
import type {
  ResourceRule as DeclaredResourceRule,
  NonResourceRule,
  SubjectAccessReviewSpec,
  SubjectAccessReviewStatus,
  SubjectRulesReviewStatus,
} from "kubernetes-types/authorization/v1";
import type { PolicyRule } from "kubernetes-types/rbac/v1";
import type { UserInfo } from "../api/types.ts";
import type { Authorizer } from "./authorize.ts";
import type { AuthorizationAttributes } from "./rbac/rules.ts";

/** kubernetes-types 1.30 drops `verbs` and `resources` from ResourceRule; the API has them. */
export type ResourceRule = DeclaredResourceRule & { verbs: string[]; resources?: string[] };

/** UserInfo as the review APIs spell it. */
export function reviewUserInfo(user: UserInfo): ReviewUserInfo {
  const out: ReviewUserInfo = { username: user.username, groups: [...user.groups] };
  if (user.uid) out.uid = user.uid;
  if (user.extra && Object.keys(user.extra).length > 0) out.extra = user.extra;
  return out;
}

/** TokenReview status from the authenticator's answer (authenticateToken). */
export function tokenReviewStatus(
  result: { user: UserInfo; audiences: string[] } | { error: string },
): TokenReviewStatus {
  if ("error" in result) return { authenticated: false, user: {}, error: result.error };
  return { authenticated: true, user: reviewUserInfo(result.user), audiences: result.audiences };
}

/** SelfSubjectReview status: who the caller is. */
export function selfSubjectReviewStatus(user: UserInfo): { userInfo: ReviewUserInfo } {
  return { userInfo: reviewUserInfo(user) };
}

/** The user and attributes a SubjectAccessReview asks about. */
export function accessReviewRequest(spec: SubjectAccessReviewSpec): { user: UserInfo; attrs: AuthorizationAttributes } {
  const user: UserInfo = { username: spec.user ?? "", groups: spec.groups ?? [] };
  if (spec.uid) user.uid = spec.uid;
  if (spec.extra) user.extra = spec.extra;
  return { user, attrs: accessReviewAttributes(spec) };
}

export function accessReviewAttributes(
  spec: Pick<SubjectAccessReviewSpec, "resourceAttributes" | "nonResourceAttributes">,
): AuthorizationAttributes {
  const r = spec.resourceAttributes;
  if (r) {
    const attrs: AuthorizationAttributes = { verb: r.verb ?? "", apiGroup: r.group ?? "", resource: r.resource ?? "" };
    if (r.version) attrs.apiVersion = r.version;
    if (r.subresource) attrs.subresource = r.subresource;
    if (r.namespace) attrs.namespace = r.namespace;
    if (r.name) attrs.name = r.name;
    return attrs;
  }
  return { verb: spec.nonResourceAttributes?.verb ?? "", path: spec.nonResourceAttributes?.path ?? "" };
}

/** Runs the review through the same authorizer that guards requests, so both always agree. */
export async function subjectAccessReviewStatus(
  authorizer: Pick<Authorizer, "authorize">,
  user: UserInfo,
  attrs: AuthorizationAttributes,
): Promise<SubjectAccessReviewStatus> {
  if (!attrs.verb)
    return {
      allowed: false,
      evaluationError: "spec.resourceAttributes or spec.nonResourceAttributes with a verb is required",
    };
  const decision = await authorizer.authorize(user, attrs);
  const status: SubjectAccessReviewStatus = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return status;
}

/** SelfSubjectRulesReview status: the caller's rules in `namespace`, split as the API spells them. */
export async function selfSubjectRulesReviewStatus(
  authorizer: Pick<Authorizer, "rulesFor">,
  user: UserInfo,
  namespace: string,
): Promise<SubjectRulesReviewStatus & { resourceRules: ResourceRule[] }> {
  const { rules, incomplete } = await authorizer.rulesFor(user, namespace);
  return { ...splitRules(rules), incomplete };
}

export function splitRules(rules: PolicyRule[]): {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
} {
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  for (const rule of rules) {
    if (rule.nonResourceURLs?.length)
      nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
    if (rule.resources?.length) {
      const r: ResourceRule = { verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources };
      if (rule.resourceNames?.length) r.resourceNames = rule.resourceNames;
      resourceRules.push(r);
    }
  }
  return { resourceRules, nonResourceRules };
}
