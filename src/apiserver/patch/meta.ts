// What patching needs to know about a kind's fields: upstream's list patch strategy and merge key (strategic
// merge patch) and, derived from them, how server-side apply treats a list (atomic, set, or map by keys).
// Paths name fields only; list elements are stepped into implicitly ("spec.containers.env").

/** Patch metadata of one field. */
export interface FieldStrategy {
  /** "merge", "replace", "retainKeys" or "merge,retainKeys" as upstream writes it; undefined means replace. */
  strategy?: string;
  /** For lists of objects merged by key: the field identifying an element. */
  mergeKey?: string;
  /** Server-side apply's list-map keys when they are more than the merge key (ports: containerPort+protocol). */
  listMapKeys?: string[];
}

/** Answers per field path; the openapi module's schemas back it for built-in kinds (see openapi-meta.ts). */
export interface PatchMeta {
  strategyFor(path: readonly string[]): FieldStrategy;
  /** Whether the struct or map at `path` (a list's elements, when it names a list) is owned and replaced whole. */
  isAtomic?(path: readonly string[]): boolean;
}

/** No metadata (custom resources, unknown kinds): lists are replaced / atomic, maps merge. */
export const noPatchMeta: PatchMeta = { strategyFor: () => ({}) };

/** Metadata from a table keyed by dotted path, e.g. {"spec.containers": {strategy:"merge", mergeKey:"name"}}. */
export function staticPatchMeta(table: Record<string, FieldStrategy>): PatchMeta {
  return { strategyFor: (path) => table[path.join(".")] ?? {} };
}

export function mergesList(s: FieldStrategy): boolean {
  return s.strategy?.split(",").includes("merge") ?? false;
}

/** How server-side apply treats a list field. */
export type ListType =
  | { type: "atomic" }
  | { type: "set" }
  | {
      type: "map";
      /** Sorted. */
      keys: string[];
      /** `"<key>":` of each key, for naming items. */
      prefixes: string[];
    };

/**
 * Upstream's `+listType` tags follow the patch tags for built-in kinds: lists merged by key are maps, merged
 * primitive lists are sets, everything else is atomic. A few map lists use a compound key (the port and its
 * protocol; the topology key and its policy); the key fields' defaults fill in for omitted values.
 */
export function listTypeOf(s: FieldStrategy): ListType {
  if (!mergesList(s)) return atomic;
  if (!s.mergeKey) return set;
  const keys = s.listMapKeys ?? compoundKeys[s.mergeKey] ?? [s.mergeKey];
  const id = keys.join(",");
  let lt = mapTypes.get(id);
  if (lt === undefined) {
    // Sorted once here: keyed items are named with their key fields in sorted order.
    const sorted = [...keys].sort();
    lt = {
      type: "map",
      keys: sorted,
      prefixes: sorted.map((k) => `${JSON.stringify(k)}:`),
    };
    mapTypes.set(id, lt);
  }
  return lt as ListType;
}

const atomic: ListType = { type: "atomic" };
const set: ListType = { type: "set" };
const mapTypes = new Map<string, ListType>();

const compoundKeys: Record<string, string[]> = {
  containerPort: ["containerPort", "protocol"],
  port: ["port", "protocol"],
  topologyKey: ["topologyKey", "whenUnsatisfiable"],
};

/** Values a key field takes when omitted (from upstream's schema defaults). */
export const keyDefaults: Record<string, unknown> = { protocol: "TCP" };
