// The server side of joining, as k3s's supervisor endpoints: GET /cacerts (anonymous: the agent checks its hash
// against the token) and the node-certificate endpoint, where an agent proving the server token secret (or a
// valid bootstrap token) receives its client certificate CN=system:node:<node>, O=system:nodes.
import type { Context } from "hono";
import { Hono } from "hono";
import type { Secret } from "../api/types.ts";
import { parseBootstrapToken, validateBootstrapToken } from "./bootstrap-token.ts";
import { NODES_GROUP } from "./node-authorizer.ts";
import { type NodePasswordStore, verifyNodePassword } from "./node-password.ts";
import { issueClientCert, type ServerPki } from "./pki.ts";
import type { AuthRateLimiter } from "./ratelimit.ts";
import { caHashMatches, parseToken, secretsEqual } from "./token.ts";

export const CACERTS_PATH = "/cacerts";
export const NODE_CERT_PATH = "/v1-k3lite/node-cert";

export interface JoinRoutesOptions {
  pki: Pick<ServerPki, "clientCaCertPem" | "clientCaKeyPem" | "caBundlePem">;
  /** The current server token (full form); read per request so `token rotate` takes effect at once. */
  serverToken: () => string | Promise<string>;
  /** Optional agent-only token (k3s --agent-token), full or bare. */
  agentToken?: () => string | undefined | Promise<string | undefined>;
  /** Reads the Secret bootstrap-token-<id> in kube-system. */
  bootstrapTokenSecret: (tokenId: string) => Promise<Secret | undefined>;
  rateLimiter?: AuthRateLimiter;
  /** The client's address for rate limiting; default: the node:http socket behind @hono/node-server. */
  clientAddress?: (c: Context) => string;
  /** Called after a certificate is issued (for the server log). */
  onIssued?: (nodeName: string, via: string) => void;
  nodeCertValidDays?: number;
  /** When given, joins must carry the agent's node password (k3s's node-password protection). */
  nodePasswords?: NodePasswordStore;
}

export interface NodeCertResponse {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isValidNodeName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

function defaultClientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}

function status(c: Context, code: 400 | 401 | 403 | 429, reason: string, message: string) {
  return c.json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }, code);
}

/**
 * The token an agent presents: HTTP Basic `node:<token>` as k3s agents send it (the API server's authenticator
 * ignores Basic, so the request reaches this route anonymously), or `Bearer <token>`.
 */
export function joinCredential(header: string | undefined): string | undefined {
  const text = header?.trim() ?? "";
  const bearer = /^bearer\s+(.+)$/is.exec(text);
  if (bearer) return (bearer[1] as string).trim();
  const basic = /^basic\s+(.+)$/is.exec(text);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1] as string, "base64").toString();
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1).trim() || undefined;
}

export function createJoinRoutes(opts: JoinRoutesOptions): Hono {
  const app = new Hono();
  const addressOf = opts.clientAddress ?? defaultClientAddress;

  app.get(CACERTS_PATH, (c) => c.body(opts.pki.caBundlePem, 200, { "content-type": "text/plain; charset=utf-8" }));

  /** Which credential the presented token is, or why it is refused. */
  async function checkToken(presented: string): Promise<{ via: string } | { error: string }> {
    const parsed = parseToken(presented);
    if (!caHashMatches(parsed, opts.pki.caBundlePem)) return { error: "token CA hash does not match this server" };
    const bootstrap = parseBootstrapToken(parsed.secret);
    if (bootstrap) {
      const result = validateBootstrapToken(bootstrap, await opts.bootstrapTokenSecret(bootstrap.id));
      return "user" in result ? { via: `bootstrap token ${bootstrap.id}` } : result;
    }
    const server = parseToken(await opts.serverToken()).secret;
    if (parsed.secret && secretsEqual(parsed.secret, server)) return { via: "server token" };
    const agent = await opts.agentToken?.();
    if (agent && parsed.secret && secretsEqual(parsed.secret, parseToken(agent).secret)) return { via: "agent token" };
    return { error: "invalid token" };
  }

  async function issue(c: Context, nodeName: unknown, nodePassword: unknown) {
    const address = addressOf(c);
    const limit = opts.rateLimiter?.check(address);
    if (limit && !limit.allowed) {
      c.header("Retry-After", String(limit.retryAfterSeconds));
      return status(c, 429, "TooManyRequests", "too many failed authentication attempts; retry later");
    }
    const presented = joinCredential(c.req.header("authorization"));
    const verdict = presented ? await checkToken(presented) : { error: "no token" };
    if ("error" in verdict) {
      opts.rateLimiter?.recordFailure(address);
      return status(c, 401, "Unauthorized", `join refused: ${verdict.error}`);
    }
    opts.rateLimiter?.recordSuccess(address);
    if (typeof nodeName !== "string" || !isValidNodeName(nodeName)) {
      return status(
        c,
        400,
        "BadRequest",
        `invalid node name ${JSON.stringify(nodeName)}: must be a lower-case DNS subdomain`,
      );
    }
    if (opts.nodePasswords) {
      if (typeof nodePassword !== "string" || nodePassword === "") {
        return status(c, 400, "BadRequest", "join refused: no node password sent");
      }
      const check = await verifyNodePassword(opts.nodePasswords, nodeName, nodePassword);
      if (!check.ok) return status(c, 403, "Forbidden", check.error);
    }
    const cert = await issueClientCert(opts.pki, {
      commonName: `system:node:${nodeName}`,
      organizations: [NODES_GROUP],
      validDays: opts.nodeCertValidDays,
    });
    opts.onIssued?.(nodeName, verdict.via);
    const body: NodeCertResponse = { caPem: opts.pki.caBundlePem, ...cert };
    return c.json(body);
  }

  app.post(NODE_CERT_PATH, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { nodeName?: unknown; nodePassword?: unknown };
    return issue(c, body?.nodeName, body?.nodePassword);
  });
  app.get(NODE_CERT_PATH, (c) => issue(c, c.req.query("nodeName"), c.req.header("k3lite-node-password")));
  return app;
}
