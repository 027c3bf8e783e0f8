// What the service proxy, the ingress and cluster DNS all read off EndpointSlices (pure): which Service a slice
// belongs to, and the endpoints behind one port of a Service, as upstream's consumers pick them.

import { isIPv4 as isIPv4Address } from "node:net";
import { SERVICE_NAME_LABEL } from "../api/labels.ts";
import type { EndpointSlice } from "../api/types.ts";

export interface Endpoint {
  ip: string;
  port: number;
  nodeName?: string;
}

export function isIPv4(ip: string | undefined): ip is string {
  return !!ip && isIPv4Address(ip);
}

/** "namespace/name" of the Service a slice belongs to (its label), or undefined for a slice without one. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata?.namespace ?? ""}/${name}` : undefined;
}

/** The IPv4 slices of each Service, keyed by "namespace/name". */
export function ipv4SlicesByService(slices: EndpointSlice[]): Map<string, EndpointSlice[]> {
  const byService = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const key = sliceServiceKey(slice);
    if (!key || slice.addressType !== "IPv4") continue;
    const list = byService.get(key) ?? [];
    list.push(slice);
    byService.set(key, list);
  }
  return byService;
}

/**
 * The endpoints of one Service port across its slices (the slice port with the Service port's name carries the
 * resolved target port): the ready ones (an unset condition means ready, as the API documents); when none is
 * ready, the serving (terminating) ones, as kube-proxy falls back. Sorted, without duplicates.
 */
export function portEndpoints(slices: EndpointSlice[], portName: string, protocol: string): Endpoint[] {
  const ready = new Map<string, Endpoint>();
  const serving = new Map<string, Endpoint>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? "") === portName && (p.protocol ?? "TCP") === protocol);
    if (!port?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      // Addresses of one endpoint are fungible; consumers use the first, as kube-proxy does.
      const ip = ep.addresses?.[0];
      if (!isIPv4(ip)) continue;
      const endpoint: Endpoint = { ip, port: port.port, ...(ep.nodeName ? { nodeName: ep.nodeName } : {}) };
      const id = `${ip}:${port.port}`;
      if (ep.conditions?.ready !== false) ready.set(id, endpoint);
      else if (ep.conditions?.serving === true) serving.set(id, endpoint);
    }
  }
  const chosen = ready.size ? ready : serving;
  return [...chosen.values()].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port));
}
