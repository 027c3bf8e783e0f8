// Small write helpers every controller shares: tolerate the API answers that only mean "someone else already
// did it" (gone, exists, changed), and write a status only when it changed.

import type { KubeObject } from "../api/types.ts";
import { inNamespace } from "../client/refs.ts";
import { ApiError, type KubeClient, type ResourceRef } from "../client/types.ts";

/** Awaits `p`; an ApiError with one of `codes` (default: 404 Not Found) yields undefined instead. */
export async function ignoreCodes<T>(p: Promise<T>, codes: number[] = [404]): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ApiError && codes.includes(err.code)) return undefined;
    throw err;
  }
}

/**
 * Writes `status` through the status subresource unless it equals the object's current status. A deleted
 * object is fine; a conflict throws, so the key is retried against the newer cache.
 */
export async function writeStatus<T extends KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  obj: T,
  status: unknown,
): Promise<void> {
  if (JSON.stringify(status) === JSON.stringify(obj.status ?? {})) return;
  await ignoreCodes(client.update(inNamespace(ref, obj.metadata?.namespace), { ...obj, status }, {}, "status"));
}
