// ServiceAccount tokens: ES256 JWTs signed with the server's SA key. Two kinds, as upstream: legacy tokens stored
// in `kubernetes.io/service-account-token` Secrets (no expiry, valid while the Secret holds them) and bound tokens
// from the TokenRequest API (audience-scoped, expiring, invalidated when the bound Pod or Secret goes away).
import { decodeJwt, importPKCS8, importSPKI, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { Pod, Secret, ServiceAccount, UserInfo } from "../api/types.ts";
import { serviceAccountKeyId } from "./oidc-discovery.ts";
import { publicKeyPemFromPrivatePem } from "./x509.ts";

/** What k3s uses for --service-account-issuer and --api-audiences. */
export const DEFAULT_SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
export const LEGACY_SERVICE_ACCOUNT_ISSUER = "kubernetes/serviceaccount";
/** TokenRequest's default and minimum lifetimes (upstream: 1h default, 10 minutes minimum). */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;
export const MIN_TOKEN_EXPIRATION_SECONDS = 600;
const ALG = "ES256";
const LEGACY = "kubernetes.io/serviceaccount";

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface ServiceAccountRef extends ObjectRef {
  namespace: string;
}

export type ServiceAccountTokenRequest =
  | {
      kind: "bound";
      serviceAccount: ServiceAccountRef;
      audiences: string[];
      expirationSeconds?: number;
      /** The object the token dies with (TokenRequest's boundObjectRef). */
      boundObject?: { kind: "Pod" | "Secret"; name: string; uid: string };
      /** The node the bound pod runs on (upstream adds it for pod-bound tokens). */
      node?: ObjectRef;
    }
  | { kind: "legacy"; serviceAccount: ServiceAccountRef; secretName: string };

/** Reads the objects that decide whether a token is still valid; undefined when the object does not exist. */
export interface ServiceAccountTokenLookup {
  serviceAccount(namespace: string, name: string): Promise<ServiceAccount | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  pod(namespace: string, name: string): Promise<Pod | undefined>;
}

export interface SignOptions {
  signingKeyPem: string;
  issuer?: string;
  now?: Date;
}

const signingKeys = new Map<string, Promise<CryptoKey>>();
const keyIds = new Map<string, Promise<string>>();
const verifyKeys = new Map<string, Promise<CryptoKey>>();
function cachedKey(cache: Map<string, Promise<CryptoKey>>, pem: string, load: () => Promise<CryptoKey>) {
  let key = cache.get(pem);
  if (!key) {
    key = load();
    cache.set(pem, key);
  }
  return key;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export async function signServiceAccountToken(
  opts: SignOptions,
  req: ServiceAccountTokenRequest,
): Promise<{ token: string; expirationTimestamp?: Date }> {
  const key = await cachedKey(signingKeys, opts.signingKeyPem, () => importPKCS8(opts.signingKeyPem, ALG));
  let kid = keyIds.get(opts.signingKeyPem);
  if (!kid) {
    kid = publicKeyPemFromPrivatePem(opts.signingKeyPem).then(serviceAccountKeyId);
    keyIds.set(opts.signingKeyPem, kid);
  }
  const header = { alg: ALG, kid: await kid };
  const sa = req.serviceAccount;
  const sub = serviceAccountUsername(sa.namespace, sa.name);
  if (req.kind === "legacy") {
    const token = await new SignJWT({
      [`${LEGACY}/namespace`]: sa.namespace,
      [`${LEGACY}/secret.name`]: req.secretName,
      [`${LEGACY}/service-account.name`]: sa.name,
      [`${LEGACY}/service-account.uid`]: sa.uid,
    })
      .setProtectedHeader(header)
      .setIssuer(LEGACY_SERVICE_ACCOUNT_ISSUER)
      .setSubject(sub)
      .sign(key);
    return { token };
  }
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const lifetime = Math.max(req.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS, MIN_TOKEN_EXPIRATION_SECONDS);
  const k8s: Record<string, unknown> = { namespace: sa.namespace, serviceaccount: { name: sa.name, uid: sa.uid } };
  if (req.boundObject?.kind === "Pod") k8s.pod = { name: req.boundObject.name, uid: req.boundObject.uid };
  if (req.boundObject?.kind === "Secret") k8s.secret = { name: req.boundObject.name, uid: req.boundObject.uid };
  if (req.node) k8s.node = { name: req.node.name, uid: req.node.uid };
  const token = await new SignJWT({ "kubernetes.io": k8s })
    .setProtectedHeader(header)
    .setIssuer(opts.issuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER)
    .setSubject(sub)
    .setAudience(req.audiences)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetime)
    .setJti(crypto.randomUUID())
    .sign(key);
  return { token, expirationTimestamp: new Date((now + lifetime) * 1000) };
}

export interface VerifyOptions {
  verifyKeyPem: string;
  issuer?: string;
  /** Audiences the API server accepts (--api-audiences); defaults to the issuer. */
  apiAudiences?: string[];
  lookup: ServiceAccountTokenLookup;
}

/** Validates a ServiceAccount JWT; returns the user or a reason. Never throws on bad input. */
export async function verifyServiceAccountToken(
  token: string,
  opts: VerifyOptions,
): Promise<{ user: UserInfo; audiences: string[]; expiresAt?: number } | { error: string }> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    return { error: "invalid bearer token" };
  }
  const issuer = opts.issuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER;
  const legacy = unverified.iss === LEGACY_SERVICE_ACCOUNT_ISSUER;
  let claims: JWTPayload;
  try {
    const key = await cachedKey(verifyKeys, opts.verifyKeyPem, () => importSPKI(opts.verifyKeyPem, ALG));
    const result = await jwtVerify(token, key, {
      algorithms: [ALG],
      issuer: legacy ? LEGACY_SERVICE_ACCOUNT_ISSUER : issuer,
      audience: legacy ? undefined : (opts.apiAudiences ?? [issuer]),
      requiredClaims: legacy ? ["sub"] : ["sub", "exp"],
    });
    claims = result.payload;
  } catch (err) {
    return { error: `invalid bearer token: ${(err as Error).message}` };
  }
  try {
    const result = legacy ? await checkLegacy(token, claims, opts.lookup) : await checkBound(claims, opts);
    return "user" in result && typeof claims.exp === "number" ? { ...result, expiresAt: claims.exp * 1000 } : result;
  } catch (err) {
    return { error: `token lookup failed: ${(err as Error).message}` };
  }
}

async function checkLegacy(token: string, claims: JWTPayload, lookup: ServiceAccountTokenLookup) {
  const ns = stringClaim(claims, `${LEGACY}/namespace`);
  const secretName = stringClaim(claims, `${LEGACY}/secret.name`);
  const saName = stringClaim(claims, `${LEGACY}/service-account.name`);
  const saUid = stringClaim(claims, `${LEGACY}/service-account.uid`);
  if (!ns || !secretName || !saName || !saUid) return { error: "invalid bearer token: missing service account claims" };
  if (claims.sub !== serviceAccountUsername(ns, saName)) return { error: "invalid bearer token: subject mismatch" };
  const secret = await lookup.secret(ns, secretName);
  if (!secret || isDeleted(secret.metadata?.deletionTimestamp)) return { error: "token secret no longer exists" };
  if (secret.data?.token === undefined || Buffer.from(secret.data.token, "base64").toString() !== token) {
    return { error: "token does not match the token secret" };
  }
  const saError = await checkServiceAccount(lookup, ns, saName, saUid);
  if (saError) return { error: saError };
  return { user: serviceAccountUser(ns, saName, saUid, {}), audiences: [] as string[] };
}

async function checkBound(claims: JWTPayload, opts: VerifyOptions) {
  const k8s = claims["kubernetes.io"] as BoundClaims | undefined;
  const ns = k8s?.namespace;
  const sa = k8s?.serviceaccount;
  if (!ns || !sa?.name || !sa.uid) return { error: "invalid bearer token: missing kubernetes.io claims" };
  if (claims.sub !== serviceAccountUsername(ns, sa.name)) return { error: "invalid bearer token: subject mismatch" };
  const extra: Record<string, string[]> = {};
  if (k8s.pod) {
    const pod = await opts.lookup.pod(ns, k8s.pod.name);
    if (!pod || pod.metadata?.uid !== k8s.pod.uid || isDeleted(pod.metadata?.deletionTimestamp)) {
      return { error: `pod "${k8s.pod.name}" bound to the token no longer exists` };
    }
    extra["authentication.kubernetes.io/pod-name"] = [k8s.pod.name];
    extra["authentication.kubernetes.io/pod-uid"] = [k8s.pod.uid];
  }
  if (k8s.secret) {
    const secret = await opts.lookup.secret(ns, k8s.secret.name);
    if (!secret || secret.metadata?.uid !== k8s.secret.uid || isDeleted(secret.metadata?.deletionTimestamp)) {
      return { error: `secret "${k8s.secret.name}" bound to the token no longer exists` };
    }
  }
  if (k8s.node) {
    extra["authentication.kubernetes.io/node-name"] = [k8s.node.name];
    extra["authentication.kubernetes.io/node-uid"] = [k8s.node.uid];
  }
  if (typeof claims.jti === "string") extra["authentication.kubernetes.io/credential-id"] = [`JTI=${claims.jti}`];
  const saError = await checkServiceAccount(opts.lookup, ns, sa.name, sa.uid);
  if (saError) return { error: saError };
  const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [];
  return { user: serviceAccountUser(ns, sa.name, sa.uid, extra), audiences };
}

interface BoundClaims {
  namespace?: string;
  serviceaccount?: { name?: string; uid?: string };
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

async function checkServiceAccount(lookup: ServiceAccountTokenLookup, ns: string, name: string, uid: string) {
  const sa = await lookup.serviceAccount(ns, name);
  if (!sa || isDeleted(sa.metadata?.deletionTimestamp)) return `service account "${ns}/${name}" no longer exists`;
  if (sa.metadata?.uid !== uid) return `service account "${ns}/${name}" was recreated (uid mismatch)`;
  return undefined;
}

function serviceAccountUser(ns: string, name: string, uid: string, extra: Record<string, string[]>): UserInfo {
  const user: UserInfo = {
    username: serviceAccountUsername(ns, name),
    uid,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
  };
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === "string" ? value : undefined;
}

/** An object whose deletion has begun is no longer a valid anchor for a token. */
function isDeleted(deletionTimestamp: string | undefined): boolean {
  return deletionTimestamp !== undefined && Date.parse(deletionTimestamp) <= Date.now();
}
