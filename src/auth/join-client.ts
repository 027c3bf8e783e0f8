// The agent side of joining: fetch /cacerts, check its sha256 against the token's hash BEFORE sending any secret,
// then ask for the node certificate over TLS verified against that CA. Failures the user must fix (wrong hash,
// wrong or expired token) are not retryable; network trouble is, with backoff.
import { CACERTS_PATH, NODE_CERT_PATH, type NodeCertResponse } from "./join-routes.ts";
import { caBundleHash, parseToken } from "./token.ts";
import { parseCertificates } from "./x509.ts";

export class JoinError extends Error {
  constructor(
    message: string,
    /** False when retrying cannot help (bad token, wrong cluster): the agent should stop and say so once. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "JoinError";
  }
}

export interface JoinOptions {
  /** https://HOST:6443 */
  server: string;
  /** K10<hash>::server:<secret>, K10<hash>::<id>.<secret>, or a bare secret/bootstrap token. */
  token: string;
  nodeName: string;
  /** The agent's node password (ensureNodePassword); required by servers that protect node names. */
  nodePassword?: string;
  /** Told once when the token carries no CA hash. */
  warn?: (message: string) => void;
}

export async function joinCluster(opts: JoinOptions): Promise<NodeCertResponse> {
  const token = parseToken(opts.token);
  if (!token.secret) throw new JoinError("the join token is empty", false);
  const base = opts.server.replace(/\/+$/, "");

  // Nothing is trusted yet; the hash check below is what makes this download safe.
  const caPem = await request(`${base}${CACERTS_PATH}`, { tls: { rejectUnauthorized: false } }, (r) => r.text());
  if (parseCertificates(caPem).length === 0) {
    throw new JoinError(`${base}${CACERTS_PATH} did not return CA certificates; is ${base} a k3lite server?`, false);
  }
  if (token.caHash) {
    const actual = caBundleHash(caPem);
    if (actual !== token.caHash) {
      throw new JoinError(
        `the CA certificates of ${base} do not match the hash in the token (token: ${token.caHash.slice(0, 12)}…, server: ${actual.slice(0, 12)}…); refusing to send the token secret`,
        false,
      );
    }
  } else {
    opts.warn?.(
      `the token has no CA hash: the certificate authority of ${base} is not verified (use the full K10… token)`,
    );
  }

  return request(
    `${base}${NODE_CERT_PATH}`,
    {
      method: "POST",
      // Basic, as k3s agents: the API server's authenticator leaves it to this endpoint.
      headers: { authorization: `Basic ${btoa(`node:${opts.token.trim()}`)}`, "content-type": "application/json" },
      body: JSON.stringify({ nodeName: opts.nodeName, nodePassword: opts.nodePassword }),
      tls: { ca: caPem },
    },
    async (r) => (await r.json()) as NodeCertResponse,
  );
}

async function request<T>(url: string, init: BunFetchRequestInit, read: (r: Response) => Promise<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new JoinError(`cannot reach ${url}: ${(err as Error).message}`, true);
  }
  if (response.ok) return read(response);
  const message = await response
    .json()
    .then((s: { message?: string }) => s.message)
    .catch(() => undefined);
  const why = message ?? `HTTP ${response.status}`;
  if (response.status === 401)
    throw new JoinError(`${why} (wrong token secret, or the bootstrap token expired or was deleted)`, false);
  if (response.status === 400 || response.status === 403 || response.status === 404) throw new JoinError(why, false);
  throw new JoinError(`${url}: ${why}`, true);
}

/**
 * joinCluster with exponential backoff on retryable failures (1 s doubling to `maxDelayMs`), so an agent started
 * before its server waits instead of hammering it; permanent failures are thrown at once.
 */
export async function joinClusterWithBackoff(
  opts: JoinOptions & {
    signal?: AbortSignal;
    maxDelayMs?: number;
    onRetry?: (err: JoinError, delayMs: number) => void;
  },
): Promise<NodeCertResponse> {
  let delay = 1000;
  for (;;) {
    try {
      return await joinCluster(opts);
    } catch (err) {
      if (!(err instanceof JoinError) || !err.retryable || opts.signal?.aborted) throw err;
      opts.onRetry?.(err, delay);
      await abortableSleep(delay, opts.signal);
      if (opts.signal?.aborted) throw err;
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 60_000);
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
