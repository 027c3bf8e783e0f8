// k3lite's security component: PKI and kubeconfigs, join tokens and joining, authentication (x509, ServiceAccount
// and bootstrap tokens), authorization (system:masters, Node, RBAC), review API bodies, secrets encryption at
// rest and failed-authentication rate limiting. Other components import from here. (token-request-route.ts,
// the bridge into the API server's router, is imported directly so this index stays free of apiserver code.)

export * from "./agent-credentials.ts";
export * from "./authenticate.ts";
export * from "./authorize.ts";
export * from "./bootstrap-token.ts";
export * from "./client-certs.ts";
export * from "./csr-signer.ts";
export * from "./encryption.ts";
export * from "./encryption-rewrite.ts";
export * from "./join.ts";
export * from "./kubeconfig.ts";
export * from "./node-authorizer.ts";
export * from "./node-password.ts";
export * from "./oidc-discovery.ts";
export * from "./pki.ts";
export * from "./ratelimit.ts";
export * from "./rbac/index.ts";
export * from "./reviews.ts";
export * from "./serviceaccount-token.ts";
export * from "./token.ts";
export * from "./token-request.ts";
