// PolicyRule matching, as upstream's rbac helpers: which request attributes a rule allows, and a small builder
// so the bootstrap policy reads like upstream's policy.go.
import type { PolicyRule } from "kubernetes-types/rbac/v1";
import type { UserInfo } from "../../api/types.ts";

/** What is being asked: a resource request when `resource` is set, else a non-resource `path`. */
export interface AuthorizationAttributes {
  verb: string;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Non-resource URL, e.g. /healthz or /apis. */
  path?: string;
}

export interface AuthorizationDecision {
  allowed: boolean;
  reason?: string;
}

export type Authorize = (user: UserInfo, attrs: AuthorizationAttributes) => Promise<AuthorizationDecision>;

export const READ = ["get", "list", "watch"];
export const WRITE = ["create", "delete", "deletecollection", "patch", "update"];
export const READ_WRITE = [...READ, ...WRITE];

export function isResourceRequest(attrs: AuthorizationAttributes): boolean {
  return attrs.resource !== undefined && attrs.resource !== "";
}

export function ruleAllows(rule: PolicyRule, attrs: AuthorizationAttributes): boolean {
  if (!matchesOrStar(rule.verbs, attrs.verb)) return false;
  if (!isResourceRequest(attrs)) return nonResourceUrlMatches(rule.nonResourceURLs, attrs.path ?? "");
  return (
    matchesOrStar(rule.apiGroups, attrs.apiGroup ?? "") &&
    resourceMatches(rule.resources, attrs.resource ?? "", attrs.subresource) &&
    resourceNameMatches(rule.resourceNames, attrs.name)
  );
}

export function rulesAllow(rules: PolicyRule[] | undefined, attrs: AuthorizationAttributes): boolean {
  return (rules ?? []).some((rule) => ruleAllows(rule, attrs));
}

function matchesOrStar(values: string[] | undefined, wanted: string): boolean {
  return (values ?? []).some((v) => v === "*" || v === wanted);
}

function resourceMatches(ruleResources: string[] | undefined, resource: string, subresource?: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (ruleResources ?? []).some(
    (r) => r === "*" || r === combined || (subresource !== undefined && subresource !== "" && r === `*/${subresource}`),
  );
}

function resourceNameMatches(names: string[] | undefined, name: string | undefined): boolean {
  if (!names || names.length === 0) return true;
  return name !== undefined && names.includes(name);
}

function nonResourceUrlMatches(urls: string[] | undefined, path: string): boolean {
  return (urls ?? []).some((u) => u === "*" || u === path || (u.endsWith("*") && path.startsWith(u.slice(0, -1))));
}

/** Builds rules like upstream's rbacv1helpers.NewRule(verbs...).Groups(...).Resources(...). */
export function rule(verbs: string[], groups: string[], resources: string[], resourceNames?: string[]): PolicyRule {
  const r: PolicyRule = { verbs, apiGroups: groups, resources };
  if (resourceNames) r.resourceNames = resourceNames;
  return r;
}

export function nonResourceRule(verbs: string[], urls: string[]): PolicyRule {
  return { verbs, nonResourceURLs: urls };
}
