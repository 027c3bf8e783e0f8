// The datastore half of `secrets-encrypt rotate-keys`: re-stores every value under a prefix (the Secrets'
// /registry/core/secrets/) that is not under the current write key, with compare-and-swap writes, so concurrent
// API writes are never lost (a conflicting write already used the new key, or is retried on its fresh value).
// Runs inside the server, which passes it as rotateKeys' rewriteAll.
import type { KeyValue, Store } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import type { SecretsTransformer } from "./encryption.ts";

/** Where the API server keeps Secrets (apiserver/storage.ts layout). */
export const SECRETS_PREFIX = "/registry/core/secrets/";
const PAGE = 500;

export async function reencryptAll(
  store: Store,
  transformer: SecretsTransformer,
  prefix = SECRETS_PREFIX,
): Promise<number> {
  let rewritten = 0;
  let cont: string | undefined;
  do {
    const page = await store.list(prefix, { limit: PAGE, continue: cont });
    for (const kv of page.items) if (await reencryptOne(store, transformer, kv)) rewritten++;
    cont = page.continue;
  } while (cont);
  return rewritten;
}

async function reencryptOne(store: Store, transformer: SecretsTransformer, first: KeyValue): Promise<boolean> {
  let kv: KeyValue | undefined = first;
  for (let attempt = 0; kv && attempt < 10; attempt++) {
    if (!transformer.isStale(kv.value)) return false;
    try {
      // The API server binds each value's storage key into its envelope as additional data; keep that binding.
      await store.update(
        kv.key,
        transformer.toStorage(transformer.fromStorage(kv.value, kv.key), kv.key),
        kv.modRevision,
      );
      return true;
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      if (err.code === "not-found") return false;
      if (err.code !== "conflict") throw err;
      kv = err.current ?? (await store.get(kv.key));
    }
  }
  if (kv && transformer.isStale(kv.value)) throw new Error(`could not re-encrypt ${kv.key}: it keeps changing`);
  return false;
}
