// Objects in the datastore, laid out as kube-apiserver does: /registry/<group>/<resource>/<namespace>/<name>,
// JSON values stored without resourceVersion (it is the store revision, spliced in on the way out — no
// parse/stringify on the hot read path). Store errors become API Status errors here. Custom resources are written
// at their CRD's storage version and read back at the version of the descriptor asking (crd/conversion.ts).

import type { KubeObject } from "../api/types.ts";
import type { KeyValue, ListOptions, ListResult, Store } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import { encodedToVersion, storageApiVersion } from "./crd/conversion.ts";
import {
  alreadyExists,
  badRequest,
  conflict,
  type GroupResource,
  gone,
  notFound,
  STALE_OBJECT,
  tooLargeResourceVersion,
} from "./errors.ts";
import type { ResourceDescriptor } from "./resources/types.ts";

/** Encrypts/decrypts values at rest (Secrets, when --secrets-encryption is on). */
export interface ValueTransformer {
  /** `context` is the storage key, bound into the ciphertext so values cannot be moved between keys. */
  toStorage(plain: Uint8Array, context?: string): Uint8Array;
  fromStorage(stored: Uint8Array, context?: string): Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const METADATA = '"metadata":{';

export const gr = (d: ResourceDescriptor): GroupResource => ({ group: d.group, resource: d.plural });

export function collectionPrefix(d: ResourceDescriptor, namespace?: string): string {
  const stored = d.storedAs ?? d;
  const base = `/registry/${stored.group || "core"}/${stored.plural}/`;
  return d.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function objectKey(d: ResourceDescriptor, namespace: string | undefined, name: string): string {
  return d.namespaced ? `${collectionPrefix(d)}${namespace}/${name}` : `${collectionPrefix(d)}${name}`;
}

/** Serialises with apiVersion, kind and metadata first, so the first `"metadata":{` is the object's own. */
export function encodeObject(obj: KubeObject): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = metadata ?? {};
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

/** Inserts the resourceVersion into an encoded object. */
export function withResourceVersion(text: string, revision: number): string {
  const at = text.indexOf(METADATA);
  if (at < 0) return text;
  const cut = at + METADATA.length;
  const sep = text.charCodeAt(cut) === 125 /* } */ ? "" : ",";
  return `${text.slice(0, cut)}"resourceVersion":"${revision}"${sep}${text.slice(cut)}`;
}

export class ObjectStorage {
  private readonly transformers = new Map<string, ValueTransformer>();

  constructor(readonly store: Store) {}

  /** Values under this descriptor's keys pass through `t` (e.g. Secrets encryption at rest). */
  setTransformer(d: ResourceDescriptor, t: ValueTransformer): void {
    this.transformers.set(collectionPrefix(d), t);
  }

  private transformerFor(key: string): ValueTransformer | undefined {
    if (this.transformers.size === 0) return undefined;
    for (const [prefix, t] of this.transformers) if (key.startsWith(prefix)) return t;
    return undefined;
  }

  /** The object's JSON with its resourceVersion. */
  text(kv: KeyValue): string {
    const t = this.transformerFor(kv.key);
    return withResourceVersion(decoder.decode(t ? t.fromStorage(kv.value, kv.key) : kv.value), kv.modRevision);
  }

  decode(kv: KeyValue): KubeObject {
    return JSON.parse(this.text(kv));
  }

  /**
   * `kv` at the version `d` serves: built-ins as stored; a custom resource's apiVersion set to the descriptor's
   * (the "None" conversion strategy), so every served version reads the one stored object.
   */
  served(d: ResourceDescriptor, kv: KeyValue): KeyValue {
    if (d.storedAs) return this.convertedFromStorage(d.storedAs.fromStorage, kv);
    if (!storageApiVersion(d)) return kv;
    const wanted = `${d.group}/${d.version}`;
    const t = this.transformerFor(kv.key);
    const plain = decoder.decode(t ? t.fromStorage(kv.value, kv.key) : kv.value);
    if (plain.startsWith(`{"apiVersion":"${wanted}"`)) return kv;
    const bytes = encoder.encode(encodedToVersion(plain, wanted));
    return { ...kv, value: t ? t.toStorage(bytes, kv.key) : bytes };
  }

  /** `kv` with its object passed through `convert` (another shape of the same resource). */
  private convertedFromStorage(convert: (obj: KubeObject) => KubeObject, kv: KeyValue): KeyValue {
    const t = this.transformerFor(kv.key);
    const plain = decoder.decode(t ? t.fromStorage(kv.value, kv.key) : kv.value);
    const bytes = encoder.encode(encodeObject(convert(JSON.parse(plain))));
    return { ...kv, value: t ? t.toStorage(bytes, kv.key) : bytes };
  }

  private encode(d: ResourceDescriptor, key: string, obj: KubeObject): Uint8Array {
    const storedAt = storageApiVersion(d);
    const stored = d.storedAs ? d.storedAs.toStorage(obj) : storedAt ? { ...obj, apiVersion: storedAt } : obj;
    const bytes = encoder.encode(encodeObject(stored));
    const t = this.transformerFor(key);
    return t ? t.toStorage(bytes, key) : bytes;
  }

  /** The object at the version `d` serves, or undefined when there is none. */
  async find(d: ResourceDescriptor, namespace: string | undefined, name: string): Promise<KeyValue | undefined> {
    const kv = await this.store.get(objectKey(d, namespace, name));
    return kv && this.served(d, kv);
  }

  async get(d: ResourceDescriptor, namespace: string | undefined, name: string): Promise<KeyValue> {
    const kv = await this.find(d, namespace, name);
    if (!kv) throw notFound(gr(d), name);
    return kv;
  }

  async list(d: ResourceDescriptor, namespace: string | undefined, opts: ListOptions): Promise<ListResult> {
    try {
      const page = await this.store.list(collectionPrefix(d, namespace), opts);
      return storageApiVersion(d) || d.storedAs ? { ...page, items: page.items.map((kv) => this.served(d, kv)) } : page;
    } catch (err) {
      throw mapStoreError(err, d, "", opts.continue !== undefined);
    }
  }

  async create(d: ResourceDescriptor, obj: KubeObject): Promise<KeyValue> {
    const name = obj.metadata?.name ?? "";
    const key = objectKey(d, obj.metadata?.namespace, name);
    try {
      return this.served(d, await this.store.create(key, this.encode(d, key, obj)));
    } catch (err) {
      throw mapStoreError(err, d, name);
    }
  }

  async update(d: ResourceDescriptor, obj: KubeObject, expectedRevision: number): Promise<KeyValue> {
    const name = obj.metadata?.name ?? "";
    const key = objectKey(d, obj.metadata?.namespace, name);
    try {
      return this.served(d, await this.store.update(key, this.encode(d, key, obj), expectedRevision));
    } catch (err) {
      throw mapStoreError(err, d, name);
    }
  }

  async delete(
    d: ResourceDescriptor,
    namespace: string | undefined,
    name: string,
    expectedRevision?: number,
  ): Promise<KeyValue> {
    try {
      return this.served(d, await this.store.delete(objectKey(d, namespace, name), expectedRevision));
    } catch (err) {
      throw mapStoreError(err, d, name);
    }
  }
}

export function mapStoreError(err: unknown, d: ResourceDescriptor, name: string, listContinue = false): unknown {
  if (!(err instanceof StoreError)) return err;
  switch (err.code) {
    case "exists":
      return alreadyExists(gr(d), name);
    case "not-found":
      return notFound(gr(d), name);
    case "conflict":
      return conflict(gr(d), name, STALE_OBJECT);
    case "future-revision": {
      const [requested = 0, current = 0] = (err.message.match(/\d+/g) ?? []).map(Number);
      return tooLargeResourceVersion(requested, current);
    }
    case "compacted":
      // A list or get at an explicit resourceVersion below the window; continue tokens get upstream's longer text.
      if (!listContinue)
        return gone(`too old resource version: ${err.message.match(/\d+/)?.[0] ?? ""} (${err.compactRevision ?? ""})`);
      return gone(
        `The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.`,
      );
    case "bad-continue":
      return badRequest(`continue key is not valid: ${err.message}`);
    default:
      return err;
  }
}
