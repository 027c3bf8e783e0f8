// System-owned metadata, as upstream's BeforeCreate/BeforeUpdate set it: uid, creationTimestamp, generateName,
// generation (bumped when the spec changes), and the fields a client may not change on update.

import type { KubeObject, ObjectMeta } from "../../api/types.ts";
import { badRequest } from "../errors.ts";
import type { ResourceDescriptor } from "../resources/types.ts";

/** ObjectMeta with the server-owned fields writable (kubernetes-types marks them readonly for clients). */
export type WritableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };
export function writableMeta(obj: KubeObject): WritableMeta {
  obj.metadata ??= {};
  return obj.metadata as WritableMeta;
}

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export const nowRfc3339 = (ms = Date.now()) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

// Upstream's utilrand alphabet: no vowels (no words), no confusable characters.
const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

export function generateNameSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  let out = "";
  for (const b of bytes) out += ALPHANUMS[b % ALPHANUMS.length];
  return out;
}

/** Checks apiVersion/kind against the endpoint (filling them in when absent). */
export function checkTypeMeta(obj: KubeObject, d: ResourceDescriptor): void {
  const apiVersion = d.group ? `${d.group}/${d.version}` : d.version;
  if (obj.kind && obj.kind !== d.kind) {
    throw badRequest(
      `the kind in the body (${obj.kind}) does not match the kind of the resource (${d.kind}): ${d.kind} in version "${d.version}" cannot be handled as a ${obj.kind}`,
    );
  }
  if (obj.apiVersion && obj.apiVersion !== apiVersion) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`,
    );
  }
  obj.apiVersion = apiVersion;
  obj.kind = d.kind;
}

/** The namespace from the URL wins; a different one in the body is an error (as upstream). */
export function applyNamespace(obj: KubeObject, d: ResourceDescriptor, namespace: string | undefined): void {
  obj.metadata ??= {};
  if (!d.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  if (namespace) obj.metadata.namespace = namespace;
}

export const tracksGeneration = (d: ResourceDescriptor) => d.generation ?? !!d.status;

export function prepareCreateMeta(obj: KubeObject, d: ResourceDescriptor): void {
  const meta = writableMeta(obj);
  if (!meta.name && meta.generateName) meta.name = meta.generateName + generateNameSuffix();
  meta.uid = crypto.randomUUID();
  meta.creationTimestamp = nowRfc3339();
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (tracksGeneration(d)) meta.generation = 1;
  else delete meta.generation;
}

/** Everything but metadata and status: what counts as "spec" for generation. */
function specText(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

/** Carries the system-owned fields over from the stored object and bumps generation on spec changes. */
export function prepareUpdateMeta(obj: KubeObject, old: KubeObject, d: ResourceDescriptor): void {
  const meta = writableMeta(obj);
  const oldMeta = old.metadata ?? {};
  meta.uid = oldMeta.uid;
  meta.creationTimestamp = oldMeta.creationTimestamp;
  meta.deletionTimestamp = oldMeta.deletionTimestamp;
  meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  if (meta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
  if (meta.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
  meta.name = oldMeta.name;
  if (!meta.generateName && oldMeta.generateName) meta.generateName = oldMeta.generateName;
  if (tracksGeneration(d)) {
    const gen = oldMeta.generation ?? 1;
    meta.generation = specText(obj) === specText(old) ? gen : gen + 1;
  } else if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
  else delete meta.generation;
}
