// RBAC: rule matching, the authorizer, escalation checks, aggregation, 403 wording and the bootstrap policy.
export * from "./rules.ts";
export * from "./authorizer.ts";
export * from "./escalation.ts";
export * from "./escalation-check.ts";
export * from "./aggregation.ts";
export * from "./forbidden.ts";
export { bootstrapClusterRoles, nodeRules, nodeProxierRules } from "./bootstrap-roles.ts";
export * from "./controller-roles.ts";
export * from "./bootstrap-policy.ts";
