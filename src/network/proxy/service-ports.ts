// The routing model of a sync: every port of every routable Service with the endpoints its traffic may go to,
// built from Services and their EndpointSlices (pure). Rules are rendered from this in rules.ts.

import { SERVICE_NAME_LABEL } from "../../api/labels.ts";
import type { EndpointSlice, Service } from "../../api/types.ts";

export type Protocol = "tcp" | "udp" | "sctp";

export interface Endpoint {
  ip: string;
  port: number;
  nodeName?: string;
}

export interface ServicePort {
  /** "namespace/name:portName" — what upstream calls the ServicePortName; chain hashes derive from it. */
  key: string;
  protocol: Protocol;
  port: number;
  /** IPv4 cluster IPs (dual-stack Services keep only their IPv4 one: the rules are for iptables, not ip6tables). */
  clusterIPs: string[];
  nodePort?: number;
  /** spec.externalIPs and status.loadBalancer.ingress IPs: reached like the node port, from outside. */
  externalIPs: string[];
  /** internalTrafficPolicy: Local — ClusterIP traffic goes only to endpoints on this node. */
  internalPolicyLocal: boolean;
  /** externalTrafficPolicy: Local — outside traffic goes only to endpoints on this node and keeps its source. */
  externalPolicyLocal: boolean;
  /** sessionAffinity: ClientIP timeout; undefined without affinity. */
  affinitySeconds?: number;
  /** Ready endpoints, or the serving (terminating) ones when none is ready, sorted and without duplicates. */
  endpoints: Endpoint[];
}

/** The label an EndpointSlice carries to name its Service. */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIPv4(ip: string | undefined): ip is string {
  return !!ip && IPV4.test(ip);
}

/** Headless and ExternalName Services are resolved by DNS, not routed. */
export function isRoutable(svc: Service): boolean {
  const spec = svc.spec;
  if (!spec || spec.type === "ExternalName") return false;
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP];
  return ips.some(isIPv4);
}

export function servicePorts(services: Service[], slices: EndpointSlice[]): ServicePort[] {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!name || slice.addressType !== "IPv4") continue;
    const key = `${slice.metadata?.namespace ?? ""}/${name}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }
  const out: ServicePort[] = [];
  for (const svc of services) {
    if (!isRoutable(svc)) continue;
    const spec = svc.spec!;
    const svcKey = `${svc.metadata?.namespace ?? ""}/${svc.metadata?.name ?? ""}`;
    const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]).filter(isIPv4);
    const externalIPs = [
      ...(spec.externalIPs ?? []),
      ...(svc.status?.loadBalancer?.ingress ?? []).map((ingress) => ingress.ip),
    ].filter(isIPv4);
    const affinitySeconds =
      spec.sessionAffinity === "ClientIP" ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
    for (const port of spec.ports ?? []) {
      const portName = port.name ?? "";
      out.push({
        key: `${svcKey}:${portName}`,
        protocol: (port.protocol ?? "TCP").toLowerCase() as Protocol,
        port: port.port,
        clusterIPs: [...new Set(clusterIPs)],
        nodePort: spec.type === "NodePort" || spec.type === "LoadBalancer" ? port.nodePort || undefined : undefined,
        externalIPs: [...new Set(externalIPs)].sort(),
        internalPolicyLocal: spec.internalTrafficPolicy === "Local",
        externalPolicyLocal: spec.externalTrafficPolicy === "Local",
        affinitySeconds,
        endpoints: endpointsFor(slicesByService.get(svcKey) ?? [], portName, port.protocol ?? "TCP"),
      });
    }
  }
  return out.sort((a, b) => compare(a.key, b.key) || compare(a.protocol, b.protocol));
}

/** Endpoints of one Service port across its slices: ready ones; when none is ready, serving ones (as upstream). */
function endpointsFor(slices: EndpointSlice[], portName: string, protocol: string): Endpoint[] {
  const ready = new Map<string, Endpoint>();
  const serving = new Map<string, Endpoint>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? "") === portName && (p.protocol ?? "TCP") === protocol);
    if (!port?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (!isIPv4(ip)) continue;
      const endpoint: Endpoint = { ip, port: port.port, nodeName: ep.nodeName };
      const id = `${ip}:${port.port}`;
      // A nil condition means ready (and serving means ready when unset), as the API documents.
      const isReady = ep.conditions?.ready !== false;
      if (isReady) ready.set(id, endpoint);
      else if (ep.conditions?.serving === true) serving.set(id, endpoint);
    }
  }
  const chosen = ready.size ? ready : serving;
  return [...chosen.values()].sort((a, b) => compare(a.ip, b.ip) || a.port - b.port);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
