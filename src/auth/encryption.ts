// Secrets at rest: AES-GCM over the bytes the API server stores, in upstream's envelope
// `k8s:enc:aesgcm:v1:<key name>:<12-byte nonce><ciphertext+tag>`. Keys live in an EncryptionConfiguration at
// <dataDir>/server/cred/encryption-config (0600, JSON as k3s writes it); the first key encrypts, all keys decrypt,
// and unprefixed data is plaintext, so plaintext, old and new keys coexist while rotate-keys rewrites secrets.
import { type CipherGCMTypes, createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { join } from "node:path";
import { parse } from "yaml";
import { readIfExists, writeSecretFile } from "./files.ts";

const PREFIX = "k8s:enc:aesgcm:v1:";
const ENC_MARKER = "k8s:enc:";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface EncryptionKey {
  name: string;
  /** base64 of 32 random bytes. */
  secret: string;
}

export interface EncryptionConfig {
  path: string;
  /** aesgcm keys, the write key first. */
  keys: EncryptionKey[];
}

export interface SecretsTransformer {
  /** The stored form of `data`; `context` (the storage key) is bound in as additional data. */
  encrypt(data: Uint8Array, context?: string): Promise<Uint8Array>;
  /** Plaintext of stored bytes, whichever key (or none) wrote them. Throws on tampering or an unknown key. */
  decrypt(stored: Uint8Array, context?: string): Promise<Uint8Array>;
  /** The same, synchronously: the API server's ValueTransformer (toStorage/fromStorage) is synchronous. */
  toStorage(data: Uint8Array, context?: string): Uint8Array;
  fromStorage(stored: Uint8Array, context?: string): Uint8Array;
  /** True when stored bytes are not under the current write key (what rotate-keys rewrites). */
  isStale(stored: Uint8Array): boolean;
  /** The key new writes use; undefined when writing plaintext. */
  writeKeyName: string | undefined;
}

export function encryptionConfigPath(dataDir: string): string {
  return join(dataDir, "server", "cred", "encryption-config");
}

export function generateEncryptionKey(now = new Date()): EncryptionKey {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return {
    name: `aesgcmkey-${stamp}`,
    secret: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
  };
}

/** Reads the key file (JSON or YAML EncryptionConfiguration), creating it with one fresh key when absent. */
export async function loadOrCreateEncryptionConfig(dataDir: string): Promise<EncryptionConfig> {
  const path = encryptionConfigPath(dataDir);
  const text = await readIfExists(path);
  if (text === undefined) {
    const config = { path, keys: [generateEncryptionKey()] };
    await saveEncryptionConfig(config);
    return config;
  }
  return { path, keys: parseEncryptionConfiguration(text, path) };
}

export async function saveEncryptionConfig(config: EncryptionConfig): Promise<void> {
  const doc = {
    kind: "EncryptionConfiguration",
    apiVersion: "apiserver.config.k8s.io/v1",
    resources: [{ resources: ["secrets"], providers: [{ aesgcm: { keys: config.keys } }, { identity: {} }] }],
  };
  await writeSecretFile(config.path, `${JSON.stringify(doc, null, 2)}\n`);
}

function parseEncryptionConfiguration(text: string, path: string): EncryptionKey[] {
  // biome-ignore lint/suspicious/noExplicitAny: external file format, checked field by field below
  let doc: any;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${path}: not JSON or YAML: ${(err as Error).message}`);
  }
  const keys: EncryptionKey[] = [];
  for (const resource of doc?.resources ?? []) {
    if (!(resource?.resources ?? []).includes("secrets")) continue;
    for (const provider of resource.providers ?? []) {
      for (const key of provider?.aesgcm?.keys ?? []) {
        if (typeof key?.name !== "string" || typeof key?.secret !== "string")
          throw new Error(`${path}: key without name/secret`);
        const bytes = Buffer.from(key.secret, "base64").length;
        if (![16, 24, 32].includes(bytes))
          throw new Error(`${path}: key "${key.name}" is ${bytes} bytes, want 16, 24 or 32`);
        keys.push({ name: key.name, secret: key.secret });
      }
    }
  }
  return keys;
}

/**
 * `enabled: false` writes plaintext but still reads data encrypted earlier. AES-GCM runs through node:crypto
 * (BoringSSL in Bun) rather than WebCrypto because the storage layer transforms values synchronously; the bytes
 * are the same as WebCrypto's (nonce, ciphertext, 16-byte tag).
 */
export async function createSecretsTransformer(
  config: Pick<EncryptionConfig, "keys">,
  opts: { enabled?: boolean } = {},
): Promise<SecretsTransformer> {
  const enabled = opts.enabled ?? true;
  const keys = new Map(config.keys.map((k) => [k.name, Buffer.from(k.secret, "base64")]));
  const writeKeyName = enabled ? config.keys[0]?.name : undefined;
  const algorithm = (key: Buffer) => `aes-${key.length * 8}-gcm` as CipherGCMTypes;

  function toStorage(data: Uint8Array, context?: string): Uint8Array {
    if (!writeKeyName) return data;
    const key = keys.get(writeKeyName) as Buffer;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(algorithm(key), key, nonce);
    if (context) cipher.setAAD(Buffer.from(context));
    const sealed = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
    return Buffer.concat([Buffer.from(`${PREFIX}${writeKeyName}:`), nonce, sealed]);
  }

  function fromStorage(stored: Uint8Array, context?: string): Uint8Array {
    const header = envelopeHeader(stored);
    if (!header) return stored;
    const key = keys.get(header.keyName);
    if (!key) throw new Error(`data was encrypted with key "${header.keyName}", which is not in the encryption config`);
    const body = stored.subarray(header.length);
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new Error("encrypted data is truncated");
    try {
      const decipher = createDecipheriv(algorithm(key), key, body.subarray(0, NONCE_BYTES));
      if (context) decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return new Uint8Array(
        Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]),
      );
    } catch {
      throw new Error(`cannot decrypt data with key "${header.keyName}": tampered or wrong context`);
    }
  }

  return {
    writeKeyName,
    toStorage,
    fromStorage,
    encrypt: async (data, context) => toStorage(data, context),
    decrypt: async (stored, context) => fromStorage(stored, context),
    isStale(stored) {
      return envelopeHeader(stored)?.keyName !== writeKeyName;
    },
  };
}

/** The key name and header length of an aesgcm envelope; undefined for plaintext; throws for other providers. */
function envelopeHeader(stored: Uint8Array): { keyName: string; length: number } | undefined {
  const head = Buffer.from(stored.subarray(0, 256)).toString("latin1");
  if (!head.startsWith(ENC_MARKER)) return undefined;
  if (!head.startsWith(PREFIX)) throw new Error(`unsupported encryption provider in "${head.slice(0, 32)}…"`);
  const end = head.indexOf(":", PREFIX.length);
  if (end < 0) throw new Error("malformed encryption envelope");
  return { keyName: head.slice(PREFIX.length, end), length: end + 1 };
}

export interface EncryptionStatus {
  encryptionConfigPath: string;
  currentKey: string | undefined;
  keys: string[];
}

export function encryptionStatus(config: EncryptionConfig): EncryptionStatus {
  return { encryptionConfigPath: config.path, currentKey: config.keys[0]?.name, keys: config.keys.map((k) => k.name) };
}

/**
 * `secrets-encrypt rotate-keys`, run inside the server: a new key becomes the write key while old keys stay
 * readable; `install` hands each transformer to the running API server (first the one holding all keys, last the
 * one holding only the new key); `rewriteAll` re-stores every secret (read, decrypt, encrypt, write) so requests
 * keep working throughout. If `rewriteAll` fails the old keys stay, so nothing becomes unreadable.
 */
export async function rotateKeys(
  dataDir: string,
  hooks: {
    install(transformer: SecretsTransformer): void;
    rewriteAll(transformer: SecretsTransformer): Promise<number>;
  },
  now = new Date(),
): Promise<{ newKey: string; rewritten: number; removedKeys: string[] }> {
  const config = await loadOrCreateEncryptionConfig(dataDir);
  const fresh = generateEncryptionKey(now);
  if (config.keys.some((k) => k.name === fresh.name)) fresh.name = `${fresh.name}-${crypto.randomUUID().slice(0, 8)}`;
  const staged: EncryptionConfig = { path: config.path, keys: [fresh, ...config.keys] };
  await saveEncryptionConfig(staged);
  const stagedTransformer = await createSecretsTransformer(staged);
  hooks.install(stagedTransformer);
  const rewritten = await hooks.rewriteAll(stagedTransformer);
  const final: EncryptionConfig = { path: config.path, keys: [fresh] };
  await saveEncryptionConfig(final);
  hooks.install(await createSecretsTransformer(final));
  return { newKey: fresh.name, rewritten, removedKeys: config.keys.map((k) => k.name) };
}
