// A pod's QoS class (Guaranteed, Burstable, BestEffort) from its containers' cpu/memory requests and limits, as
// upstream computes it. Pure object logic shared by the API server (set on create) and the node agent.

import type { Pod } from "./types.ts";

export type QosClass = "Guaranteed" | "Burstable" | "BestEffort";

export function qosClass(spec: NonNullable<Pod["spec"]>): QosClass {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    // Quantities may arrive as numbers from YAML; compare their text.
    for (const r of ["cpu", "memory"]) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}
