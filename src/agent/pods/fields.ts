// Values a pod can read about itself: fieldRef paths (env and downwardAPI volumes) and resourceFieldRef
// (container requests and limits, in the divisor's units, rounded up as upstream does).

import type { Container, Pod } from "../../api/types.ts";
import { parseQuantity } from "../../client/quantity.ts";
import { machineCapacity } from "../node/machine.ts";

export function fieldRefValue(pod: Pod, path: string, nodeIp: string): string {
  const meta = pod.metadata ?? {};
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return meta[m[1] as "labels" | "annotations"]?.[m[2] as string] ?? "";
  const map = (o: Record<string, string> | undefined) =>
    Object.entries(o ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n");
  switch (path) {
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "";
    case "metadata.uid":
      return meta.uid ?? "";
    case "metadata.labels":
      return map(meta.labels);
    case "metadata.annotations":
      return map(meta.annotations);
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "default";
    case "status.hostIP":
      return nodeIp;
    case "status.hostIPs":
      return nodeIp;
    case "status.podIP":
      return pod.status?.podIP ?? "";
    case "status.podIPs":
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(",");
    default:
      throw new Error(`unsupported fieldPath ${path}`);
  }
}

export function resourceFieldValue(
  container: Container | undefined,
  resource: string,
  divisor: string | undefined,
  dataDir: string,
): string {
  const [kind, name] = resource.split(".", 2) as ["limits" | "requests", string];
  let value = parseQuantity(container?.resources?.[kind]?.[name]);
  // Without a limit, upstream reports the node's allocatable amount.
  if (!value && kind === "limits") {
    const cap = machineCapacity(dataDir);
    value =
      name === "cpu"
        ? cap.cpu
        : name === "memory"
          ? cap.memory
          : name === "ephemeral-storage"
            ? cap.ephemeralStorage
            : 0;
  }
  const d = parseQuantity(divisor ?? "1") || 1;
  return String(Math.ceil(value / d));
}
