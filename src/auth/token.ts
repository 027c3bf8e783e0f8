// The server join token in k3s format, `K10<sha256 hex of the CA bundle>::server:<secret>`: the hash lets an agent
// check the CA it downloads before trusting it; the secret proves the agent may join. Kept in <dataDir>/server/token.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { readIfExists, writeSecretFile } from "./files.ts";

const TOKEN_PREFIX = "K10";
export const SERVER_TOKEN_USERNAME = "server";

export interface ParsedToken {
  /** sha256 hex of the CA bundle; absent for a bare secret. */
  caHash?: string;
  username: string;
  secret: string;
}

export function serverTokenPath(dataDir: string): string {
  return join(dataDir, "server", "token");
}

export function caBundleHash(caBundlePem: string): string {
  return createHash("sha256").update(caBundlePem).digest("hex");
}

export function formatServerToken(caBundlePem: string, secret: string): string {
  return `${TOKEN_PREFIX}${caBundleHash(caBundlePem)}::${SERVER_TOKEN_USERNAME}:${secret}`;
}

/**
 * `K10<hash>::<user>:<secret>` (full form), `K10<hash>::<secret>` or a bare secret (username "server").
 * Bootstrap tokens `<id>.<secret>` are bare secrets here; the join endpoint tells them apart.
 */
export function parseToken(token: string): ParsedToken {
  const text = token.trim();
  if (text.startsWith(TOKEN_PREFIX) && text.includes("::")) {
    const [head, rest = ""] = splitOnce(text, "::");
    const caHash = head.slice(TOKEN_PREFIX.length).toLowerCase();
    const [username, secret] = rest.includes(":") ? splitOnce(rest, ":") : [SERVER_TOKEN_USERNAME, rest];
    return { caHash: caHash || undefined, username, secret };
  }
  return { username: SERVER_TOKEN_USERNAME, secret: text };
}

/** True when the token carries no hash (nothing to check) or its hash matches the CA bundle. */
export function caHashMatches(token: string | ParsedToken, caBundlePem: string): boolean {
  const parsed = typeof token === "string" ? parseToken(token) : token;
  if (!parsed.caHash) return true;
  return parsed.caHash === caBundleHash(caBundlePem);
}

/**
 * Returns the full server token. `given` (--token, full or bare) wins and is persisted; otherwise the stored
 * token is reused, or a new random secret is made on first start.
 */
export async function ensureServerToken(dataDir: string, caBundlePem: string, given?: string): Promise<string> {
  const path = serverTokenPath(dataDir);
  let secret: string;
  if (given?.trim()) {
    const parsed = parseToken(given);
    if (!caHashMatches(parsed, caBundlePem)) {
      throw new Error("--token carries a CA hash that does not match this server's CA certificates");
    }
    secret = parsed.secret;
  } else {
    const stored = await readIfExists(path);
    secret = stored?.trim() ? parseToken(stored).secret : randomBytes(16).toString("hex");
  }
  if (!secret) throw new Error("the server token secret is empty");
  const token = formatServerToken(caBundlePem, secret);
  if ((await readIfExists(path))?.trim() !== token) await writeSecretFile(path, `${token}\n`);
  return token;
}

/**
 * `token rotate`: a new secret (given or random) replaces the stored one. Agents that already joined keep their
 * node certificates, so they stay connected; only new joins need the new token.
 */
export async function rotateServerToken(dataDir: string, caBundlePem: string, newSecret?: string): Promise<string> {
  const secret = newSecret?.trim() ? parseToken(newSecret).secret : randomBytes(16).toString("hex");
  const token = formatServerToken(caBundlePem, secret);
  await writeSecretFile(serverTokenPath(dataDir), `${token}\n`);
  return token;
}

/** Constant-time comparison of secrets (length differences still leak, as everywhere). */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function splitOnce(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, ""] : [text.slice(0, i), text.slice(i + sep.length)];
}
