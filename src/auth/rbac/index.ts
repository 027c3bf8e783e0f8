// RBAC: rule matching, the authorizer, escalation checks, aggregation, 403 wording and the bootstrap policy.

export * from "./aggregation.ts";
export * from "./authorizer.ts";
export * from "./bootstrap-policy.ts";
export { bootstrapClusterRoles, nodeProxierRules, nodeRules } from "./bootstrap-roles.ts";
export * from "./controller-roles.ts";
export * from "./escalation.ts";
export * from "./escalation-check.ts";
export * from "./forbidden.ts";
export * from "./rules.ts";
