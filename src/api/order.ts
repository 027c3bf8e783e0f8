// The order controllers give objects that compete for one thing (a LoadBalancer port, an Ingress route): the older
// object first, by creationTimestamp, then by namespace/name so ties are stable.

import type { KubeObject } from "./types.ts";

export function olderFirst(a: KubeObject, b: KubeObject): number {
  const at = a.metadata?.creationTimestamp ?? "";
  const bt = b.metadata?.creationTimestamp ?? "";
  if (at !== bt) return at < bt ? -1 : 1;
  const ak = `${a.metadata?.namespace ?? ""}/${a.metadata?.name ?? ""}`;
  const bk = `${b.metadata?.namespace ?? ""}/${b.metadata?.name ?? ""}`;
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}
