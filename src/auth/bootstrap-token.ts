// Bootstrap tokens (`<6 chars>.<16 chars>`), stored as Secrets `bootstrap-token-<id>` of type
// bootstrap.kubernetes.io/token in kube-system, as upstream. Used only for joining agents; `k3lite token create`
// makes them through bootstrapTokenSecret().
import type { Secret, UserInfo } from "../api/types.ts";
import { secretsEqual } from "./token.ts";

export const BOOTSTRAP_TOKEN_SECRET_TYPE = "bootstrap.kubernetes.io/token";
export const BOOTSTRAP_TOKEN_NAMESPACE = "kube-system";
export const BOOTSTRAP_TOKEN_PREFIX = "bootstrap-token-";
export const BOOTSTRAPPERS_GROUP = "system:bootstrappers";
/** The extra group k3s gives node-join tokens. */
export const DEFAULT_NODE_TOKEN_GROUP = "system:bootstrappers:k3lite:default-node-token";

const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export interface BootstrapToken {
  id: string;
  secret: string;
}

export function parseBootstrapToken(token: string): BootstrapToken | undefined {
  const match = TOKEN_PATTERN.exec(token.trim());
  return match ? { id: match[1] as string, secret: match[2] as string } : undefined;
}

export function bootstrapTokenSecretName(id: string): string {
  return `${BOOTSTRAP_TOKEN_PREFIX}${id}`;
}

export function generateBootstrapToken(): BootstrapToken {
  const pick = (n: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => ALPHABET[b % ALPHABET.length]).join("");
  return { id: pick(6), secret: pick(16) };
}

/** The Secret that stores a bootstrap token; ttlSeconds 0/undefined means it never expires. */
export function bootstrapTokenSecret(opts: {
  token: BootstrapToken;
  ttlSeconds?: number;
  description?: string;
  usages?: string[];
  extraGroups?: string[];
  now?: Date;
}): Secret {
  const stringData: Record<string, string> = { "token-id": opts.token.id, "token-secret": opts.token.secret };
  if (opts.description) stringData.description = opts.description;
  if (opts.ttlSeconds) {
    const expiry = new Date((opts.now ?? new Date()).getTime() + opts.ttlSeconds * 1000);
    stringData.expiration = expiry.toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  for (const usage of opts.usages ?? ["authentication", "signing"]) stringData[`usage-bootstrap-${usage}`] = "true";
  stringData["auth-extra-groups"] = (opts.extraGroups ?? [DEFAULT_NODE_TOKEN_GROUP]).join(",");
  const data = Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: bootstrapTokenSecretName(opts.token.id), namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data,
  };
}

/** Reads a field of the Secret, whether it came back with `data` (base64) or still has `stringData`. */
export function secretField(secret: Secret, key: string): string | undefined {
  const encoded = secret.data?.[key];
  if (encoded !== undefined) return Buffer.from(encoded, "base64").toString();
  return secret.stringData?.[key];
}

/** The expiry of a bootstrap token Secret, if it has one. */
export function bootstrapTokenExpiry(secret: Secret): Date | undefined {
  const expiration = secretField(secret, "expiration");
  return expiration ? new Date(expiration) : undefined;
}

/**
 * Checks a presented token against its Secret (found by the caller as bootstrap-token-<id> in kube-system).
 * Returns the bootstrap user or a reason; upstream's rules: type, matching secret, usage, expiry.
 */
export function validateBootstrapToken(
  token: BootstrapToken,
  secret: Secret | undefined,
  usage: "authentication" | "signing" = "authentication",
  now = new Date(),
): { user: UserInfo } | { error: string } {
  const invalid = { error: "invalid bootstrap token" };
  if (!secret || secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || secret.metadata?.deletionTimestamp) return invalid;
  const id = secretField(secret, "token-id");
  const stored = secretField(secret, "token-secret");
  if (id !== token.id || stored === undefined || !secretsEqual(stored, token.secret)) return invalid;
  if (secretField(secret, `usage-bootstrap-${usage}`) !== "true") return invalid;
  const expiry = bootstrapTokenExpiry(secret);
  if (expiry && !(expiry.getTime() > now.getTime())) return { error: `bootstrap token "${token.id}" has expired` };
  const extra = (secretField(secret, "auth-extra-groups") ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g.startsWith(`${BOOTSTRAPPERS_GROUP}:`));
  return {
    user: {
      username: `system:bootstrap:${token.id}`,
      groups: [BOOTSTRAPPERS_GROUP, ...extra, "system:authenticated"],
    },
  };
}

/** One row of `k3lite token list`, as kubeadm prints it. */
export interface BootstrapTokenSummary {
  token: string;
  /** e.g. "23h", "<forever>", "<invalid>" once expired. */
  ttl: string;
  expires: string;
  usages: string[];
  description: string;
  extraGroups: string[];
}

export function describeBootstrapToken(secret: Secret, now = new Date()): BootstrapTokenSummary | undefined {
  const id = secretField(secret, "token-id");
  const tokenSecret = secretField(secret, "token-secret");
  if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || !id || !tokenSecret) return undefined;
  const expiry = bootstrapTokenExpiry(secret);
  let ttl = "<forever>";
  if (expiry) {
    const seconds = Math.floor((expiry.getTime() - now.getTime()) / 1000);
    ttl =
      seconds <= 0
        ? "<invalid>"
        : seconds >= 3600
          ? `${Math.floor(seconds / 3600)}h`
          : `${Math.max(1, Math.floor(seconds / 60))}m`;
  }
  const usages = Object.keys(secret.data ?? secret.stringData ?? {})
    .filter((k) => k.startsWith("usage-bootstrap-") && secretField(secret, k) === "true")
    .map((k) => k.slice("usage-bootstrap-".length))
    .sort();
  return {
    token: `${id}.${tokenSecret}`,
    ttl,
    expires: expiry ? expiry.toISOString().replace(/\.\d{3}Z$/, "Z") : "<never>",
    usages,
    description: secretField(secret, "description") ?? "",
    extraGroups: (secretField(secret, "auth-extra-groups") ?? "").split(",").filter(Boolean),
  };
}
