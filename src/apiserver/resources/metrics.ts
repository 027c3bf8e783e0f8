// metrics.k8s.io/v1beta1 as metrics-server serves it: NodeMetrics (`nodes`) and PodMetrics (`pods`), get and
// list only. Not stored: the server adds these to the registry (discovery) and answers them from node agents.

import type { KubeObject } from "../../api/types.ts";
import { col, nameColumn } from "../table.ts";
import { describe, type ResourceDescriptor, type TableColumn } from "./types.ts";

export const METRICS_GROUP = "metrics.k8s.io";
export const METRICS_VERSION = "v1beta1";

type Usage = { cpu?: string; memory?: string };

/** A pod's table cells: its containers' usage summed (in nanocores and bytes). */
function podUsage(obj: KubeObject, key: keyof Usage): string {
  const containers: { usage?: Usage }[] = obj.containers ?? [];
  if (key === "cpu") return formatNanoCores(containers.reduce((sum, c) => sum + nanoCoresOf(c.usage?.cpu), 0));
  return formatBytes(containers.reduce((sum, c) => sum + bytesOf(c.usage?.memory), 0));
}

const SI: Record<string, number> = { n: 1, u: 1e3, m: 1e6, "": 1e9, k: 1e12, M: 1e15 };
const BINARY: Record<string, number> = {
  "": 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
};

function nanoCoresOf(q: string | undefined): number {
  const m = /^(\d+)([numkM]?)$/.exec(q ?? "");
  return m ? Number(m[1]) * (SI[m[2]] ?? 0) : 0;
}
function bytesOf(q: string | undefined): number {
  const m = /^(\d+)([KMGTPE]i|[kMG])?$/.exec(q ?? "");
  return m ? Number(m[1]) * (BINARY[m[2] ?? ""] ?? 0) : 0;
}

/** CPU as metrics-server writes it: a canonical decimal quantity from nanocores ("12345678n", "5m", "2"). */
export function formatNanoCores(nanoCores: number): string {
  let n = Math.max(0, Math.round(nanoCores));
  if (n === 0) return "0";
  const suffixes = ["n", "u", "m", "", "k", "M"];
  let i = 0;
  while (i < suffixes.length - 1 && n % 1000 === 0) {
    n /= 1000;
    i++;
  }
  return `${n}${suffixes[i]}`;
}

/** Memory as metrics-server writes it: a canonical binary quantity from bytes ("12345Ki", "12345", "1k"). */
export function formatBytes(bytes: number): string {
  let n = Math.max(0, Math.round(bytes));
  // Below 1024 upstream falls back to the decimal form (1000 → "1k").
  if (n < 1024) return n % 1000 === 0 && n > 0 ? `${n / 1000}k` : `${n}`;
  const suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
  let i = 0;
  while (i < suffixes.length - 1 && n % 1024 === 0) {
    n /= 1024;
    i++;
  }
  return `${n}${suffixes[i]}`;
}

const windowColumn = col("Window", (o) => o.window ?? "");

const nodeColumns: TableColumn[] = [
  nameColumn,
  col("CPU", (o) => o.usage?.cpu ?? ""),
  col("Memory", (o) => o.usage?.memory ?? ""),
  windowColumn,
];

const podColumns: TableColumn[] = [
  nameColumn,
  col("CPU", (o) => podUsage(o, "cpu")),
  col("Memory", (o) => podUsage(o, "memory")),
  windowColumn,
];

export const NODE_METRICS: ResourceDescriptor = describe({
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind: "NodeMetrics",
  plural: "nodes",
  namespaced: false,
  verbs: ["get", "list"],
  columns: nodeColumns,
});

export const POD_METRICS: ResourceDescriptor = describe({
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind: "PodMetrics",
  plural: "pods",
  namespaced: true,
  verbs: ["get", "list"],
  columns: podColumns,
});
