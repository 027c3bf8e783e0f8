// A pod's priority: spec.priority when the API server's Priority admission filled it in, otherwise resolved here
// from its PriorityClass (or the global default class), with the two built-in system classes always known.

import type { KubeObject, Pod } from "../api/types.ts";

export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  "system-cluster-critical": 2_000_000_000,
  "system-node-critical": 2_000_001_000,
};

export interface PriorityClassLister {
  getByName(namespace: undefined, name: string): KubeObject | undefined;
  list(): KubeObject[];
}

export function podPriority(pod: Pod, classes?: PriorityClassLister): number {
  if (typeof pod.spec?.priority === "number") return pod.spec.priority;
  const name = pod.spec?.priorityClassName;
  if (name) {
    const pc = classes?.getByName(undefined, name);
    if (pc && typeof pc.value === "number") return pc.value;
    return SYSTEM_PRIORITY_CLASSES[name] ?? 0;
  }
  const global = classes?.list().find((pc) => pc.globalDefault === true);
  return typeof global?.value === "number" ? global.value : 0;
}
