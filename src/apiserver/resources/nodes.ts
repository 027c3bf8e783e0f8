// core/v1 Node: cluster-scoped, registered by node agents; `kubectl get nodes` columns (STATUS from the Ready
// condition, ROLES from node-role.kubernetes.io/* labels).

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, nameColumn, wide } from "../table.ts";
import { describe } from "./types.ts";

function nodeStatus(node: KubeObject): string {
  const conds: { type: string; status: string }[] = node.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (node.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

function roles(node: KubeObject): string {
  const found = new Set<string>();
  for (const [k, v] of Object.entries((node.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith("node-role.kubernetes.io/")) found.add(k.slice("node-role.kubernetes.io/".length));
    else if (k === "kubernetes.io/role") found.add(v);
  }
  return found.size ? [...found].sort().join(",") : "<none>";
}

const address = (type: string) => (node: KubeObject) =>
  ((node.status?.addresses ?? []) as { type: string; address: string }[]).find((a) => a.type === type)?.address ??
  "<none>";

export default describe({
  group: "",
  version: "v1",
  kind: "Node",
  plural: "nodes",
  namespaced: false,
  shortNames: ["no"],
  status: true,
  generation: false,
  subresources: ["proxy"],
  fields: (n) => ({ "spec.unschedulable": String(n.spec?.unschedulable ?? false) }),
  columns: [
    nameColumn,
    col("Status", nodeStatus),
    col("Roles", roles),
    ageColumn,
    col("Version", (n) => n.status?.nodeInfo?.kubeletVersion ?? ""),
    wide("Internal-IP", address("InternalIP")),
    wide("External-IP", address("ExternalIP")),
    wide("OS-Image", (n) => n.status?.nodeInfo?.osImage || "<unknown>"),
    wide("Kernel-Version", (n) => n.status?.nodeInfo?.kernelVersion || "<unknown>"),
    wide("Container-Runtime", (n) => n.status?.nodeInfo?.containerRuntimeVersion || "<unknown>"),
  ],
});
