// Who is asking: the API server's authentication chain. x509 client certificates first, then bearer tokens
// (ServiceAccount JWTs, bootstrap tokens). The answer is a user, an error (→ 401) or null for anonymous; bad input
// of any shape becomes an error, never a throw.

import { createHash } from "node:crypto";
import type { UserInfo } from "../api/types.ts";
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  bootstrapTokenExpiry,
  bootstrapTokenSecretName,
  parseBootstrapToken,
  validateBootstrapToken,
} from "./bootstrap-token.ts";
import type { AuthRateLimiter } from "./ratelimit.ts";
import { type ServiceAccountTokenLookup, verifyServiceAccountToken } from "./serviceaccount-token.ts";
import { createX509Authenticator } from "./x509-authenticator.ts";

export { signServiceAccountToken } from "./serviceaccount-token.ts";

/** Upstream's identity for requests without credentials. */
export const ANONYMOUS_USER: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] };
/** Longer tokens are refused before any parsing (JWTs are a few KB at most). */
const MAX_TOKEN_LENGTH = 16 * 1024;
/**
 * Successful token authentications are remembered this long, as kube-apiserver's token cache does (success
 * TTL 10 s, failures not cached): verifying a JWT and its objects costs ~100 µs. A revoked token (its pod or
 * secret deleted) therefore keeps working for at most this long.
 */
export const TOKEN_SUCCESS_CACHE_MS = 10_000;
const TOKEN_CACHE_LIMIT = 4096;

export interface AuthenticationInput {
  /** The TLS peer certificate (node:tls getPeerCertificate()); `{}` or null when none was sent. */
  peerCertificate?: { raw?: Buffer } | null;
  /** Whether the TLS layer verified the peer certificate's chain (socket.authorized). */
  peerAuthorized: boolean;
  /** The Authorization header. */
  authorization?: string;
  /** The peer's address, for rate limiting failed token attempts. */
  clientAddress?: string;
}

/** `retryAfterSeconds` is set when the address is rate limited (answer 429 with Retry-After rather than 401). */
export type AuthenticationResult = { user: UserInfo } | { error: string; retryAfterSeconds?: number } | null;

export interface AuthenticatorOptions {
  clientCaPem: string;
  saVerifyKeyPem: string;
  /** --service-account-issuer; defaults to k3s's https://kubernetes.default.svc.cluster.local. */
  issuer?: string;
  /** --api-audiences; defaults to [issuer]. */
  apiAudiences?: string[];
  /** Reads Secrets, Pods, ServiceAccounts so revoked credentials stop working. */
  lookup: ServiceAccountTokenLookup;
  /** Success cache lifetime; 0 turns the cache off. Default TOKEN_SUCCESS_CACHE_MS. */
  tokenCacheMs?: number;
  /**
   * Limits failed bearer-token attempts per clientAddress (guessing tokens is the only online attack here;
   * client certificates still authenticate from a blocked address).
   */
  rateLimiter?: AuthRateLimiter;
}

export interface Authenticator {
  authenticate(input: AuthenticationInput): Promise<AuthenticationResult>;
  /** For TokenReview: a bare token, optionally required to be valid for one of `audiences`. */
  authenticateToken(
    token: string,
    audiences?: string[],
  ): Promise<{ user: UserInfo; audiences: string[] } | { error: string }>;
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const authenticateCertificate = createX509Authenticator(opts.clientCaPem);
  const apiAudiences = opts.apiAudiences ?? [opts.issuer ?? "https://kubernetes.default.svc.cluster.local"];

  type TokenResult = { user: UserInfo; audiences: string[] } | { error: string };
  const cacheMs = opts.tokenCacheMs ?? TOKEN_SUCCESS_CACHE_MS;
  const cache = new Map<string, { result: TokenResult; until: number }>();

  async function authenticateToken(token: string, audiences?: string[]): Promise<TokenResult> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { error: "invalid bearer token" };
    if (cacheMs <= 0) return verifyToken(token, audiences);
    const key = `${createHash("sha256").update(token).digest("base64url")}|${(audiences ?? []).join(",")}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.result;
    const result = await verifyToken(token, audiences);
    if ("user" in result) {
      if (cache.size >= TOKEN_CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
      const expiresAt = (result as { expiresAt?: number }).expiresAt ?? Number.POSITIVE_INFINITY;
      cache.set(key, {
        result: { user: result.user, audiences: result.audiences },
        until: Math.min(now + cacheMs, expiresAt),
      });
    } else {
      cache.delete(key);
    }
    return "user" in result ? { user: result.user, audiences: result.audiences } : result;
  }

  async function verifyToken(token: string, audiences?: string[]): Promise<TokenResult & { expiresAt?: number }> {
    try {
      const bootstrap = parseBootstrapToken(token);
      if (bootstrap) {
        const secret = await opts.lookup.secret(BOOTSTRAP_TOKEN_NAMESPACE, bootstrapTokenSecretName(bootstrap.id));
        const result = validateBootstrapToken(bootstrap, secret);
        if (!("user" in result)) return result;
        return {
          user: result.user,
          audiences: apiAudiences,
          expiresAt: secret && bootstrapTokenExpiry(secret)?.getTime(),
        };
      }
      if (token.split(".").length !== 3) return { error: "invalid bearer token" };
      const result = await verifyServiceAccountToken(token, {
        verifyKeyPem: opts.saVerifyKeyPem,
        issuer: opts.issuer,
        apiAudiences: audiences?.length ? audiences : apiAudiences,
        lookup: opts.lookup,
      });
      if ("error" in result) return result;
      // Legacy tokens carry no audience: upstream treats them as valid for the API server's own audiences.
      return {
        user: result.user,
        audiences: result.audiences.length ? result.audiences : apiAudiences,
        expiresAt: result.expiresAt,
      };
    } catch (err) {
      return { error: `authentication failed: ${(err as Error).message}` };
    }
  }

  async function authenticate(input: AuthenticationInput): Promise<AuthenticationResult> {
    const errors: string[] = [];
    const raw = input.peerCertificate?.raw;
    if (raw && raw.length > 0) {
      if (input.peerAuthorized) {
        const verdict = await authenticateCertificate(raw);
        if ("user" in verdict) return verdict;
        errors.push(verdict.error);
      } else {
        errors.push("x509: certificate signed by unknown authority");
      }
    }
    const token = bearerToken(input.authorization);
    if (token !== undefined) {
      const address = input.clientAddress;
      const limit = address !== undefined ? opts.rateLimiter?.check(address) : undefined;
      if (limit && !limit.allowed) {
        return { error: "too many failed authentication attempts", retryAfterSeconds: limit.retryAfterSeconds };
      }
      const result = await authenticateToken(token);
      if (address !== undefined) {
        if ("user" in result) opts.rateLimiter?.recordSuccess(address);
        else opts.rateLimiter?.recordFailure(address);
      }
      if ("user" in result) return { user: result.user };
      errors.push(result.error);
    }
    return errors.length > 0 ? { error: errors.join("; ") } : null;
  }

  return { authenticate, authenticateToken };
}

/** The token of `Authorization: Bearer <token>`; other schemes are not ours (anonymous, as upstream). */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  // Plain string work rather than a lazy regex: this runs on every request and JWTs are a kilobyte long.
  const text = header.trimStart();
  if (text.length < 6 || text.slice(0, 6).toLowerCase() !== "bearer") return undefined;
  const token = text.slice(6);
  // "Bearer" alone is no credential (anonymous, as upstream), "Bearerx…" another scheme.
  if (!/^\s/.test(token)) return undefined;
  return token.trim();
}
