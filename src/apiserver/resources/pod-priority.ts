// Upstream's Priority admission plugin, on pod create: the pod's PriorityClass (or the global default class when
// it names none) sets spec.priority and spec.preemptionPolicy; a class that does not exist, or a priority in the
// spec that disagrees with the class, is refused. The two system classes are always known, as upstream creates them.

import type { KubeObject } from "../../api/types.ts";
import { admissionForbidden } from "../errors.ts";

export const SYSTEM_PRIORITY_CLASSES: KubeObject[] = [
  { name: "system-node-critical", value: 2_000_001_000 },
  { name: "system-cluster-critical", value: 2_000_000_000 },
].map(({ name, value }) => ({
  apiVersion: "scheduling.k8s.io/v1",
  kind: "PriorityClass",
  metadata: { name },
  value,
  description: "Used for system critical pods that must not be moved from their current node.",
  preemptionPolicy: "PreemptLowerPriority",
}));

const PODS = { group: "", resource: "pods" };

export function admitPodPriority(pod: KubeObject, classes: KubeObject[]): void {
  const spec = pod.spec;
  if (!spec) return;
  const named = spec.priorityClassName as string | undefined;
  const known = [
    ...classes,
    ...SYSTEM_PRIORITY_CLASSES.filter((s) => !classes.some((c) => c.metadata?.name === s.metadata?.name)),
  ];
  const pc = named ? known.find((c) => c.metadata?.name === named) : classes.find((c) => c.globalDefault === true);
  const podName = pod.metadata?.name ?? pod.metadata?.generateName ?? "";
  if (named && !pc) throw admissionForbidden(PODS, podName, `no PriorityClass with name ${named} was found`);
  const value = typeof pc?.value === "number" ? pc.value : 0;
  if (typeof spec.priority === "number" && spec.priority !== value) {
    throw admissionForbidden(
      PODS,
      podName,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    );
  }
  if (pc && !named) spec.priorityClassName = pc.metadata?.name;
  spec.priority = value;
  spec.preemptionPolicy ??= pc?.preemptionPolicy ?? "PreemptLowerPriority";
}
