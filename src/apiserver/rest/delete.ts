// DELETE of one object and of collections: preconditions, graceful deletion (a bound pod gets
// deletionTimestamp + deletionGracePeriodSeconds and waits for its agent to confirm with grace 0),
// finalizers (orphan / foregroundDeletion from propagationPolicy, as upstream, for the garbage collector),
// and namespaces moving to Terminating.

import type { KubeObject } from "../../api/types.ts";
import { asObject, mediaType, parseBody, readBytes } from "../body.ts";
import { badRequest, conflict, successStatus } from "../errors.ts";
import { respondObject } from "../output.ts";
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from "../protobuf/decode.ts";
import { gr } from "../storage.ts";
import type { Scope } from "./context.ts";
import { nowRfc3339, writableMeta } from "./metadata.ts";
import { listPage, respondWith, selectorOf } from "./read.ts";
import { guaranteedUpdate } from "./writes.ts";

interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

const ORPHAN = "orphan";
const FOREGROUND = "foregroundDeletion";

async function readDeleteOptions(req: Request): Promise<DeleteOptions> {
  const bytes = await readBytes(req);
  if (bytes.length === 0) return {};
  const type = mediaType(req);
  if (type === PROTOBUF_MEDIA_TYPE) return decodeProtobufObject(bytes) as DeleteOptions;
  const text = Buffer.from(bytes).toString("utf8");
  return text.trim() ? (asObject(parseBody(text, type, false).value) as DeleteOptions) : {};
}

async function deleteOptions(s: Scope): Promise<DeleteOptions> {
  const opts: DeleteOptions = await readDeleteOptions(s.req);
  const grace = s.query.get("gracePeriodSeconds");
  if (grace !== null) opts.gracePeriodSeconds = Number(grace);
  const policy = s.query.get("propagationPolicy");
  if (policy) opts.propagationPolicy = policy as DeleteOptions["propagationPolicy"];
  if (opts.gracePeriodSeconds !== undefined && !Number.isInteger(opts.gracePeriodSeconds))
    throw badRequest("gracePeriodSeconds must be an integer");
  if (opts.propagationPolicy && !["Background", "Foreground", "Orphan"].includes(opts.propagationPolicy)) {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  return opts;
}

function checkPreconditions(s: Scope, obj: KubeObject, opts: DeleteOptions): void {
  const p = opts.preconditions;
  const name = obj.metadata?.name ?? "";
  if (p?.uid && p.uid !== obj.metadata?.uid) {
    throw conflict(
      gr(s.desc),
      name,
      `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata?.uid}`,
    );
  }
  if (p?.resourceVersion && p.resourceVersion !== obj.metadata?.resourceVersion) {
    throw conflict(
      gr(s.desc),
      name,
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata?.resourceVersion}`,
    );
  }
}

/** Marks `obj` as being deleted. Returns false when nothing holds it back (it can go at once). */
function markDeleting(s: Scope, obj: KubeObject, opts: DeleteOptions): boolean {
  const meta = writableMeta(obj);
  const finalizers = new Set<string>(meta.finalizers ?? []);
  const policy =
    opts.propagationPolicy ??
    (opts.orphanDependents === true ? "Orphan" : opts.orphanDependents === false ? "Background" : undefined);
  if (policy === "Orphan") {
    finalizers.add(ORPHAN);
    finalizers.delete(FOREGROUND);
  } else if (policy === "Foreground") {
    finalizers.add(FOREGROUND);
    finalizers.delete(ORPHAN);
  } else if (policy === "Background") {
    finalizers.delete(ORPHAN);
    finalizers.delete(FOREGROUND);
  }
  if (finalizers.size) meta.finalizers = [...finalizers];
  else delete meta.finalizers;

  const grace = s.desc.gracePeriod ? s.desc.gracePeriod(obj, opts.gracePeriodSeconds) : 0;
  const waitsForNamespace =
    s.desc.kind === "Namespace" && s.desc.group === "" && (obj.spec?.finalizers ?? []).length > 0;
  if (!finalizers.size && grace <= 0 && !waitsForNamespace) return false;

  const now = Date.now();
  const current = meta.deletionGracePeriodSeconds;
  // A later delete may shorten the grace period, never lengthen it.
  if (!meta.deletionTimestamp || current === undefined || grace < current) {
    meta.deletionTimestamp = nowRfc3339(now + grace * 1000);
    meta.deletionGracePeriodSeconds = Math.max(grace, 0);
  }
  if (waitsForNamespace) obj.status = { ...obj.status, phase: "Terminating" };
  return true;
}

/** Deletes (or starts deleting) one object; returns the object if it remains, else the removed one. */
export async function deleteOne(
  s: Scope,
  name: string,
  opts: DeleteOptions,
): Promise<{ obj: KubeObject; deleted: boolean }> {
  let immediate = false;
  const r = await guaranteedUpdate(
    s,
    name,
    (current) => {
      checkPreconditions(s, current, opts);
      immediate = !markDeleting(s, current, opts);
      if (immediate) {
        const meta = writableMeta(current);
        meta.deletionTimestamp ??= nowRfc3339();
        meta.deletionGracePeriodSeconds = 0;
      }
      return current;
    },
    { admit: false },
  );
  return { obj: r.obj, deleted: !!r.deleted };
}

export async function deleteObject(s: Scope, name: string): Promise<Response> {
  const opts = await deleteOptions(s);
  const { obj, deleted } = await deleteOne(s, name, opts);
  if (!deleted) return respondWith(s, 200, obj);
  // Upstream answers pods with the deleted object and other types with a Success Status.
  if (s.desc.kind === "Pod") return respondWith(s, 200, obj);
  return respondObject(
    200,
    successStatus({ name, group: s.desc.group || undefined, kind: s.desc.plural, uid: obj.metadata?.uid }),
  );
}

export async function deleteCollection(s: Scope): Promise<Response> {
  const opts = await deleteOptions(s);
  const page = await listPage(s, selectorOf(s));
  const items: KubeObject[] = [];
  for (const kv of page.items) {
    const obj = s.ctx.storage.decode(kv);
    const name = obj.metadata?.name ?? "";
    try {
      const scoped = { ...s, namespace: obj.metadata?.namespace };
      items.push((await deleteOne(scoped, name, opts)).obj);
    } catch (err) {
      // Objects that vanished meanwhile are not an error of the collection delete.
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  const apiVersion = s.desc.group ? `${s.desc.group}/${s.desc.version}` : s.desc.version;
  return respondObject(200, {
    kind: s.desc.listKind ?? `${s.desc.kind}List`,
    apiVersion,
    metadata: { resourceVersion: String(page.revision) },
    items,
  });
}
