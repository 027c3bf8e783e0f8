// The write paths every verb shares: admit-and-create, and upstream's GuaranteedUpdate (read, transform,
// compare-and-swap, retry on a concurrent write unless the client pinned a resourceVersion). Defaulting,
// validation and the type's strategy hooks run here, in upstream's order, so no handler can skip them.

import type { KubeObject } from "../../api/types.ts";
import type { KeyValue } from "../../store/types.ts";
import { conflict, forbidden, notFound, STALE_OBJECT } from "../errors.ts";
import { cloneJson } from "../patch/json.ts";
import namespaces from "../resources/namespaces.ts";
import type { ResourceDescriptor } from "../resources/types.ts";
import { encodeObject, gr, objectKey } from "../storage.ts";
import { dns1123Subdomain, throwIfInvalid, validateObjectMeta } from "../validation.ts";
import { hooksFor, type Scope } from "./context.ts";
import { generateNameSuffix, prepareCreateMeta, prepareUpdateMeta } from "./metadata.ts";

export interface WriteResult {
  obj: KubeObject;
  /** JSON text with resourceVersion, ready to send (absent for dry runs, which send `obj`). */
  text?: string;
  kv?: KeyValue;
  /** The object was removed (last finalizer gone, or deleted at once). */
  deleted?: boolean;
}

/** Validation shared by create and update: metadata, then the type's own rules. */
export function validateObject(d: ResourceDescriptor, obj: KubeObject, old?: KubeObject): void {
  const errs = validateObjectMeta(obj.metadata, d.namespaced, d.nameValidator ?? dns1123Subdomain);
  if (d.validate) errs.push(...d.validate(obj));
  if (old && d.validateUpdate) errs.push(...d.validateUpdate(obj, old));
  throwIfInvalid(errs, d.group, d.kind, obj.metadata?.name ?? obj.metadata?.generateName ?? "");
}

/** NamespaceLifecycle admission: no new objects in a missing or terminating namespace. */
async function admitNamespace(s: Scope, obj: KubeObject): Promise<void> {
  const ns = obj.metadata?.namespace;
  if (!s.desc.namespaced || !ns) return;
  const kv = await s.ctx.storage.store.get(objectKey(namespaces, undefined, ns));
  if (!kv) throw notFound({ group: "", resource: "namespaces" }, ns);
  if (s.ctx.storage.decode(kv).status?.phase === "Terminating") {
    throw forbidden(
      {
        user: s.user.username,
        verb: "create",
        resource: s.desc.plural,
        group: s.desc.group,
        namespace: ns,
        name: obj.metadata?.name,
      },
      `unable to create new content in namespace ${ns} because it is being terminated`,
    );
  }
}

export async function createObject(s: Scope, obj: KubeObject): Promise<WriteResult> {
  const d = s.desc;
  prepareCreateMeta(obj, d);
  if (d.status) obj.status = undefined;
  d.prepareCreate?.(obj);
  if (obj.status === undefined) delete obj.status;
  d.defaults?.(obj);
  validateObject(d, obj);
  await admitNamespace(s, obj);
  await s.ctx.admit?.({ user: s.user, descriptor: d, operation: "create", obj });
  const hooks = hooksFor(s);
  if (d.beforeCreate) await d.beforeCreate(obj, hooks);
  if (s.dryRun) {
    if (d.abortCreate) await d.abortCreate(obj, hooks);
    return { obj };
  }
  try {
    const kv = await createWithGeneratedName(s, obj);
    return { obj, kv, text: s.ctx.storage.text(kv) };
  } catch (err) {
    if (d.abortCreate) await d.abortCreate(obj, hooks);
    throw err;
  }
}

/** Upstream (RetryGenerateName, GA in 1.32) draws a new suffix up to 7 more times when a generated name is taken. */
const GENERATE_NAME_ATTEMPTS = 8;

async function createWithGeneratedName(s: Scope, obj: KubeObject): Promise<KeyValue> {
  const meta = obj.metadata ?? {};
  const generated = !!meta.generateName && meta.name?.startsWith(meta.generateName);
  for (let attempt = 1; ; attempt++) {
    try {
      return await s.ctx.storage.create(s.desc, obj);
    } catch (err) {
      const taken = (err as { status?: { reason?: string } }).status?.reason === "AlreadyExists";
      if (!generated || !taken || attempt >= GENERATE_NAME_ATTEMPTS) throw err;
      meta.name = (meta.generateName as string) + generateNameSuffix();
    }
  }
}

/** A deleting object whose finalizers (and grace period) are all done is removed by the write that finished them. */
export function readyToDelete(obj: KubeObject): boolean {
  const meta = obj.metadata ?? {};
  if (!meta.deletionTimestamp || (meta.finalizers ?? []).length) return false;
  if ((meta.deletionGracePeriodSeconds ?? 0) > 0) return false;
  if (obj.kind === "Namespace" && (obj.spec?.finalizers ?? []).length) return false;
  return true;
}

export type TryUpdate = (current: KubeObject) => KubeObject | Promise<KubeObject>;

export interface UpdateOptions {
  /** Run defaulting/validation/generation (false for internal metadata-only writes such as deletion marks). */
  admit?: boolean;
  /** The object may be created if missing (PUT / server-side apply on a missing object). */
  createIfMissing?: () => Promise<WriteResult>;
}

const MAX_RETRIES = 16;

export async function guaranteedUpdate(
  s: Scope,
  name: string,
  tryUpdate: TryUpdate,
  opts: UpdateOptions = {},
): Promise<WriteResult> {
  const d = s.desc;
  const storage = s.ctx.storage;
  for (let attempt = 0; ; attempt++) {
    const kv = await storage.find(d, s.namespace, name);
    if (!kv) {
      if (opts.createIfMissing) return opts.createIfMissing();
      throw notFound(gr(d), name);
    }
    const current = storage.decode(kv);
    const currentRv = current.metadata?.resourceVersion;
    const updated = await tryUpdate(cloneJson(current));
    const pinned = updated.metadata?.resourceVersion;
    if (pinned && pinned !== currentRv) throw conflict(gr(d), name, STALE_OBJECT);
    if (opts.admit !== false) {
      prepareUpdateMeta(updated, current, d);
      d.defaults?.(updated);
      validateObject(d, updated, current);
      await s.ctx.admit?.({ user: s.user, descriptor: d, operation: "update", obj: updated, old: current });
      if (d.beforeUpdate) await d.beforeUpdate(updated, current, hooksFor(s));
    }
    if (readyToDelete(updated)) {
      if (s.dryRun) return { obj: updated, deleted: true };
      const gone = await storage.delete(d, s.namespace, name, kv.modRevision).catch((err) => retryable(err, attempt));
      if (!gone) continue;
      if (d.afterDelete) await d.afterDelete(updated, hooksFor(s));
      return { obj: storage.decode(gone), deleted: true };
    }
    // Upstream skips writes that change nothing: no new resourceVersion, no watch event.
    if (encodeObject(updated) === encodeObject(current)) return { obj: current, kv, text: storage.text(kv) };
    if (s.dryRun) return { obj: updated };
    // A lost race re-reads: a client-pinned resourceVersion then fails the check above with 409.
    const written = await storage.update(d, updated, kv.modRevision).catch((err) => retryable(err, attempt));
    if (!written) continue;
    return { obj: updated, kv: written, text: storage.text(written) };
  }
}

/** A lost compare-and-swap is retried (undefined) a bounded number of times; anything else is thrown. */
function retryable(err: unknown, attempt: number): undefined {
  const code = (err as { status?: { reason?: string } }).status?.reason;
  if (code === "Conflict" && attempt < MAX_RETRIES) return undefined;
  throw err;
}
