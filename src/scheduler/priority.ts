// A pod's priority: the value of its PriorityClass (the two built-in system classes always known), else
// spec.priority as admission set it, else the global default class's value.

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
  // A named class wins: admission copies its value into spec.priority, so they agree whenever admission ran.
  const name = pod.spec?.priorityClassName;
  const pc = name ? classes?.getByName(undefined, name) : undefined;
  if (pc && typeof pc.value === "number") return pc.value;
  if (name && SYSTEM_PRIORITY_CLASSES[name] !== undefined) return SYSTEM_PRIORITY_CLASSES[name];
  if (typeof pod.spec?.priority === "number") return pod.spec.priority;
  if (name) return 0;
  const global = classes?.list().find((pc) => pc.globalDefault === true);
  return typeof global?.value === "number" ? global.value : 0;
}
