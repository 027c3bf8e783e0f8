// Resource arithmetic as the scheduler sees it: a pod's effective requests (containers, init containers and
// sidecars, overhead) and a node's allocatable, in millicores / bytes / counts.

import type { core, Node, Pod } from "../api/types.ts";
import { parseMilli, parseQuantity } from "../client/quantity.ts";

export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Allowed pod count (allocatable only). */
  pods: number;
  /** Extended and hugepages resources by name, e.g. "nvidia.com/gpu". */
  scalar: Map<string, number>;
}

/** Upstream's defaults for containers without requests, used only for scoring (spreading). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: new Map() };
}

function addList(into: Resource, list: Record<string, string | number> | undefined, sign = 1): void {
  if (!list) return;
  for (const [name, q] of Object.entries(list)) {
    if (name === "cpu") into.milliCPU += sign * parseMilli(q);
    else if (name === "memory") into.memory += sign * Math.ceil(parseQuantity(q));
    else if (name === "ephemeral-storage") into.ephemeralStorage += sign * Math.ceil(parseQuantity(q));
    else if (name === "pods") into.pods += sign * parseQuantity(q);
    else if (isScalarResource(name)) into.scalar.set(name, (into.scalar.get(name) ?? 0) + sign * parseQuantity(q));
  }
}

/** Extended resources (domain-prefixed, e.g. nvidia.com/gpu) and hugepages count; other names are ignored. */
export function isScalarResource(name: string): boolean {
  return name.startsWith("hugepages-") || (name.includes("/") && !name.startsWith("kubernetes.io/"));
}

export function addResource(into: Resource, other: Resource, sign = 1): void {
  into.milliCPU += sign * other.milliCPU;
  into.memory += sign * other.memory;
  into.ephemeralStorage += sign * other.ephemeralStorage;
  for (const [name, v] of other.scalar) into.scalar.set(name, (into.scalar.get(name) ?? 0) + sign * v);
}

function maxResource(a: Resource, b: Resource): Resource {
  const out = emptyResource();
  out.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  out.memory = Math.max(a.memory, b.memory);
  out.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  for (const name of new Set([...a.scalar.keys(), ...b.scalar.keys()]))
    out.scalar.set(name, Math.max(a.scalar.get(name) ?? 0, b.scalar.get(name) ?? 0));
  return out;
}

/** A container's requests; a limit without a request counts as the request, as the API server defaults it. */
function containerRequests(c: core.Container, nonZero: boolean): Resource {
  const r = emptyResource();
  const requests = c.resources?.requests as Record<string, string> | undefined;
  const limits = c.resources?.limits as Record<string, string> | undefined;
  addList(r, { ...limits, ...requests });
  if (nonZero) {
    const has = (name: string) => requests?.[name] !== undefined || limits?.[name] !== undefined;
    if (!has("cpu")) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!has("memory")) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * The pod's effective request (upstream's resourcehelper.PodRequests): the sum of its containers and sidecars
 * (init containers with restartPolicy Always), or the largest init container plus the sidecars started before
 * it, whichever is larger; plus the pod overhead. `nonZero` substitutes the scoring defaults for missing requests.
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const reqs = emptyResource();
  for (const c of pod.spec?.containers ?? []) addResource(reqs, containerRequests(c, nonZero));
  const sidecars = emptyResource();
  let initMax = emptyResource();
  for (const ic of pod.spec?.initContainers ?? []) {
    const r = containerRequests(ic, nonZero);
    if (ic.restartPolicy === "Always") {
      addResource(reqs, r);
      addResource(sidecars, r);
      initMax = maxResource(initMax, sidecars);
    } else {
      addResource(r, sidecars);
      initMax = maxResource(initMax, r);
    }
  }
  const total = maxResource(reqs, initMax);
  addList(total, pod.spec?.overhead as Record<string, string> | undefined);
  return total;
}

export function nodeAllocatable(node: Node): Resource {
  const r = emptyResource();
  addList(r, (node.status?.allocatable ?? node.status?.capacity) as Record<string, string> | undefined);
  return r;
}

/** Whether the request asks for nothing measurable (only the pod-count check applies then). */
export function isZero(r: Resource): boolean {
  if (r.milliCPU || r.memory || r.ephemeralStorage) return false;
  for (const v of r.scalar.values()) if (v) return false;
  return true;
}
