// Taints and tolerations as the node lifecycle controller and DaemonSet controller judge them
// (upstream: v1helper.TolerationsTolerateTaint).

import type { core } from "../api/types.ts";

export function tolerates(toleration: core.Toleration, taint: core.Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.operator === "Exists") return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? "") === (taint.value ?? "");
}

export function toleratesAll(tolerations: core.Toleration[] | undefined, taints: core.Taint[]): boolean {
  return taints.every((t) => (tolerations ?? []).some((tol) => tolerates(tol, t)));
}

export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
export const TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
