// Server-side printing: turns objects into a meta.k8s.io/v1 Table with the columns kubectl shows against a real
// cluster. Column definitions live in each resource's descriptor; the helpers they share live here.

import type { KubeObject } from "../api/types.ts";
import type { TableColumn } from "./resources/types.ts";

/** Upstream's duration.HumanDuration, as kubectl prints AGE. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

/** Age since an RFC 3339 timestamp, "<unknown>" when absent (upstream's translateTimestampSince). */
export function since(timestamp: string | undefined, now: number): string {
  if (!timestamp) return "<unknown>";
  return humanDuration(now - Date.parse(timestamp));
}

export const nameColumn: TableColumn = {
  name: "Name",
  type: "string",
  format: "name",
  description: "Name must be unique within a namespace.",
  cell: (o) => o.metadata?.name ?? "",
};

export const ageColumn: TableColumn = {
  name: "Age",
  type: "string",
  description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  cell: (o, now) => since(o.metadata?.creationTimestamp, now),
};

export const createdAtColumn: TableColumn = {
  name: "Created At",
  type: "date",
  description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  cell: (o) => o.metadata?.creationTimestamp ?? "",
};

/** A column whose cell comes from a function; `wide` hides it unless -o wide. */
export function col(
  name: string,
  cell: TableColumn["cell"],
  opts: Partial<Omit<TableColumn, "name" | "cell">> = {},
): TableColumn {
  return {
    name,
    type: opts.type ?? "string",
    description: opts.description ?? "",
    priority: opts.priority ?? 0,
    format: opts.format,
    cell,
  };
}
export const wide = (name: string, cell: TableColumn["cell"], type: TableColumn["type"] = "string") =>
  col(name, cell, { priority: 1, type });

/** Joins a list for a cell, "<none>" when empty (as kubectl prints). */
export function listOrNone(values: (string | undefined)[] | undefined): string {
  const present = (values ?? []).filter((v): v is string => !!v);
  return present.length ? present.join(",") : "<none>";
}

/** `k=v,k2=v2` of a map selector, "<none>" when empty. */
export function mapToString(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(",") : "<none>";
}

/** Upstream's metav1.FormatLabelSelector. */
export function labelSelectorString(
  sel:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
): string {
  if (!sel) return "<none>";
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${vals})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(",") : "<none>";
}

/** CONTAINERS / IMAGES / SELECTOR wide columns of workload controllers. */
export function podTemplateColumns(templatePath: (o: KubeObject) => KubeObject | undefined): TableColumn[] {
  const containers = (o: KubeObject) => (templatePath(o)?.spec?.containers ?? []) as { name: string; image: string }[];
  return [
    wide("Containers", (o) =>
      containers(o)
        .map((c) => c.name)
        .join(","),
    ),
    wide("Images", (o) =>
      containers(o)
        .map((c) => c.image)
        .join(","),
    ),
    wide("Selector", (o) => labelSelectorString(o.spec?.selector)),
  ];
}

export const DEFAULT_COLUMNS: TableColumn[] = [nameColumn, ageColumn];

const COLUMN_DEFINITIONS = new WeakMap<TableColumn[], object[]>();

function columnDefinitions(columns: TableColumn[]): object[] {
  let defs = COLUMN_DEFINITIONS.get(columns);
  if (!defs) {
    defs = columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? "",
      description: c.description ?? "",
      priority: c.priority ?? 0,
    }));
    COLUMN_DEFINITIONS.set(columns, defs);
  }
  return defs;
}

export type IncludeObject = "None" | "Metadata" | "Object";

/** The row's `object`: PartialObjectMetadata by default (what kubectl requests), the whole object on demand. */
function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === "None") return undefined;
  if (include === "Object") return obj;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

export function toTable(
  columns: TableColumn[] | undefined,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject = "Metadata",
  withHeaders = true,
): object {
  const cols = columns ?? DEFAULT_COLUMNS;
  const now = Date.now();
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMeta,
    columnDefinitions: withHeaders ? columnDefinitions(cols) : [],
    rows: objects.map((o) => ({ cells: cols.map((c) => c.cell(o, now) ?? ""), object: rowObject(o, include) })),
  };
}
