// The served resource types: built-ins from resources/index.ts plus whatever is added at run time (CRDs).
// Lookups by group/version/plural are O(1); discovery documents are rebuilt only when the set changes.

import { BUILT_IN_RESOURCES } from "./resources/index.ts";
import { ALL_VERBS, type ResourceDescriptor } from "./resources/types.ts";

const gvrKey = (group: string, version: string, plural: string) => `${group}/${version}/${plural}`;

export class Registry {
  private readonly byGvr = new Map<string, ResourceDescriptor>();
  /** Group → versions in preference order (first = preferred). */
  private readonly groups = new Map<string, string[]>();
  private readonly listeners = new Set<() => void>();
  /** Bumped on every change; discovery caches compare against it. */
  generation = 0;

  constructor(descriptors: ResourceDescriptor[] = BUILT_IN_RESOURCES) {
    for (const d of descriptors) this.addQuietly(d);
  }

  get(group: string, version: string, plural: string): ResourceDescriptor | undefined {
    return this.byGvr.get(gvrKey(group, version, plural));
  }

  /** The descriptor for an object's apiVersion/kind. */
  byKind(group: string, version: string, kind: string): ResourceDescriptor | undefined {
    for (const d of this.byGvr.values()) if (d.group === group && d.version === version && d.kind === kind) return d;
    return undefined;
  }

  all(): ResourceDescriptor[] {
    return [...this.byGvr.values()];
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  versionsOf(group: string): string[] {
    return this.groups.get(group) ?? [];
  }

  resourcesOf(group: string, version: string): ResourceDescriptor[] {
    return this.all().filter((d) => d.group === group && d.version === version);
  }

  /** Adds or replaces a type (a CRD version); `preferred` puts its version first in its group. */
  add(d: ResourceDescriptor, preferred = false): void {
    this.addQuietly(d, preferred);
    this.changed();
  }

  remove(group: string, version: string, plural: string): void {
    if (!this.byGvr.delete(gvrKey(group, version, plural))) return;
    if (!this.all().some((d) => d.group === group && d.version === version)) {
      const versions = (this.groups.get(group) ?? []).filter((v) => v !== version);
      if (versions.length) this.groups.set(group, versions);
      else this.groups.delete(group);
    }
    this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private addQuietly(d: ResourceDescriptor, preferred = false): void {
    this.byGvr.set(gvrKey(d.group, d.version, d.plural), d);
    const versions = this.groups.get(d.group) ?? [];
    if (!versions.includes(d.version)) {
      if (preferred) versions.unshift(d.version);
      else versions.push(d.version);
    } else if (preferred && versions[0] !== d.version) {
      versions.splice(versions.indexOf(d.version), 1);
      versions.unshift(d.version);
    }
    this.groups.set(d.group, versions);
  }

  private changed(): void {
    this.generation++;
    for (const l of this.listeners) l();
  }
}

export const verbsOf = (d: ResourceDescriptor) => d.verbs ?? ALL_VERBS;
