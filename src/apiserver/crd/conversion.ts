// Conversion between the served versions of a custom resource with upstream's "None" strategy: the object is the
// same, only apiVersion changes. Objects are stored at the CRD's storage version and answered at the version the
// request named. Exports: `storageApiVersion(desc)`, `toVersion(obj, apiVersion)`, `encodedToVersion(text, apiVersion)`.

import type { KubeObject } from "../../api/types.ts";
import type { ResourceDescriptor } from "../resources/types.ts";

/** The apiVersion custom resources of this descriptor are stored at; undefined for built-ins. */
export function storageApiVersion(descriptor: ResourceDescriptor): string | undefined {
  const storage = (descriptor as { storageVersion?: string }).storageVersion;
  return storage ? `${descriptor.group}/${storage}` : undefined;
}

/** `obj` at `apiVersion` (in place; returns it). */
export function toVersion<T extends KubeObject>(obj: T, apiVersion: string): T {
  obj.apiVersion = apiVersion;
  return obj;
}

const PREFIX = '{"apiVersion":"';

/**
 * An encoded object (as the storage layer writes it: apiVersion first) at `apiVersion`, without parsing it —
 * the read and watch paths answer with stored text as it is.
 */
export function encodedToVersion(text: string, apiVersion: string): string {
  if (!text.startsWith(PREFIX)) {
    const obj = JSON.parse(text) as KubeObject;
    return JSON.stringify(toVersion(obj, apiVersion));
  }
  const end = text.indexOf('"', PREFIX.length);
  return `${PREFIX}${apiVersion}${text.slice(end)}`;
}
