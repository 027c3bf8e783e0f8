// Node passwords, as k3s's: each agent keeps a random password; the first join of a node name records its hash in
// the Secret <node>.node-password.k3lite (kube-system), and later joins under that name must present the same
// password, so one token holder cannot take over another machine's node name.
import type { Secret } from "../api/types.ts";
import { BOOTSTRAP_TOKEN_NAMESPACE, secretField } from "./bootstrap-token.ts";
import { readIfExists, writeSecretFile } from "./files.ts";

export const NODE_PASSWORD_SECRET_TYPE = "k3lite.io/node-password";
export const NODE_PASSWORD_NAMESPACE = BOOTSTRAP_TOKEN_NAMESPACE;

export function nodePasswordSecretName(nodeName: string): string {
  return `${nodeName}.node-password.k3lite`;
}

/** The agent's password file (e.g. <agent data dir>/node-password), created once with 0600. */
export async function ensureNodePassword(path: string): Promise<string> {
  const existing = (await readIfExists(path))?.trim();
  if (existing) return existing;
  const password = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  await writeSecretFile(path, `${password}\n`);
  return password;
}

export async function nodePasswordSecret(nodeName: string, password: string): Promise<Secret> {
  const hash = await Bun.password.hash(password);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: nodePasswordSecretName(nodeName), namespace: NODE_PASSWORD_NAMESPACE },
    type: NODE_PASSWORD_SECRET_TYPE,
    data: { hash: Buffer.from(hash).toString("base64") },
  };
}

/** Where node passwords are kept: the server reads and creates the Secrets. */
export interface NodePasswordStore {
  get(nodeName: string): Promise<Secret | undefined>;
  create(secret: Secret): Promise<void>;
}

/** Records the password on first join; afterwards requires the same one. */
export async function verifyNodePassword(
  store: NodePasswordStore,
  nodeName: string,
  password: string,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const rejected = {
    ok: false as const,
    error: `node password rejected: a node named "${nodeName}" already joined with another password (duplicate hostname, or the agent's node-password file changed); pick a unique --node-name or delete the Secret ${NODE_PASSWORD_NAMESPACE}/${nodePasswordSecretName(nodeName)}`,
  };
  const secret = await store.get(nodeName);
  if (!secret) {
    await store.create(await nodePasswordSecret(nodeName, password));
    return { ok: true };
  }
  const hash = secretField(secret, "hash");
  if (!hash) return rejected;
  try {
    return (await Bun.password.verify(password, hash)) ? { ok: true } : rejected;
  } catch {
    return rejected;
  }
}
