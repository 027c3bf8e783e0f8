// `k3lite secrets-encrypt status|rotate-keys`, server side (k3s serves the same under /v1-k3s/encrypt): the status
// of encryption at rest, and key rotation with no downtime — a new key becomes the write key while the old ones
// still decrypt, every Secret is rewritten under it, then the old keys are dropped. Callers prove the server
// token (these act on the whole cluster's keys; only someone with the server's own secret may do that).

import { type Context, Hono } from "hono";
import type { ApiServer } from "../apiserver/app.ts";
import { collectionPrefix } from "../apiserver/storage.ts";
import {
  encryptionStatus,
  loadOrCreateEncryptionConfig,
  rotateKeys,
  type SecretsTransformer,
} from "../auth/encryption.ts";
import { reencryptAll } from "../auth/encryption-rewrite.ts";
import { joinCredential } from "../auth/join-routes.ts";
import { parseToken, secretsEqual } from "../auth/token.ts";

export const SECRETS_ENCRYPT_PATH = "/v1-k3lite/secrets-encrypt";

export interface SecretsEncryptOptions {
  api: ApiServer;
  dataDir: string;
  enabled: boolean;
  serverToken: () => string;
  /** The transformer Secrets are stored through now; replaced by rotation. */
  current: SecretsTransformer;
}

export function createSecretsEncryptRoutes(opts: SecretsEncryptOptions): Hono {
  const app = new Hono();
  const secrets = opts.api.registry.get("", "v1", "secrets")!;
  const prefix = collectionPrefix(secrets);
  let current = opts.current;
  let rotating = false;

  const install = (t: SecretsTransformer) => {
    current = t;
    opts.api.storage.setTransformer(secrets, t);
  };

  /** Visits every stored Secret, one page at a time, at the latest revision. */
  async function eachSecret(visit: (key: string, value: Uint8Array) => Promise<void>) {
    let cont: string | undefined;
    do {
      const page = await opts.api.storage.store.list(prefix, { limit: 500, continue: cont });
      for (const kv of page.items) await visit(kv.key, kv.value);
      cont = page.continue;
    } while (cont);
  }

  const authorized = (c: Context) => {
    const presented = joinCredential(c.req.header("authorization"));
    const server = parseToken(opts.serverToken()).secret;
    return !!presented && !!server && secretsEqual(parseToken(presented).secret, server);
  };
  const refuse = (c: Context) =>
    c.json(
      {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        reason: "Unauthorized",
        message: "the server token is required",
        code: 401,
      },
      401,
    );

  app.get(`${SECRETS_ENCRYPT_PATH}/status`, async (c) => {
    if (!authorized(c)) return refuse(c);
    let total = 0;
    let stale = 0;
    await eachSecret(async (_k, value) => {
      total++;
      if (current.isStale(value)) stale++;
    });
    const config = await loadOrCreateEncryptionConfig(opts.dataDir);
    return c.json({
      enabled: opts.enabled,
      ...encryptionStatus(config),
      writeKey: current.writeKeyName ?? null,
      secrets: total,
      secretsNotUnderWriteKey: stale,
    });
  });

  app.post(`${SECRETS_ENCRYPT_PATH}/rotate-keys`, async (c) => {
    if (!authorized(c)) return refuse(c);
    if (!opts.enabled)
      return c.json(
        {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          reason: "BadRequest",
          message: "secrets encryption is off (--secrets-encryption=false)",
          code: 400,
        },
        400,
      );
    if (rotating)
      return c.json(
        {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          reason: "Conflict",
          message: "a key rotation is already running",
          code: 409,
        },
        409,
      );
    rotating = true;
    try {
      const result = await rotateKeys(opts.dataDir, {
        install,
        rewriteAll: (t) => reencryptAll(opts.api.storage.store, t, prefix),
      });
      return c.json(result);
    } catch (err) {
      return c.json(
        {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          reason: "InternalError",
          message: `key rotation failed, the previous keys still decrypt: ${(err as Error).message}`,
          code: 500,
        },
        500,
      );
    } finally {
      rotating = false;
    }
  });
  return app;
}
