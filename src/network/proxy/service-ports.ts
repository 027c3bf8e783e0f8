// The routing model of a sync: every port of every routable Service with the endpoints its traffic may go to,
// built from Services and their EndpointSlices (pure). Rules are rendered from this in rules.ts.

import type { EndpointSlice, Service } from "../../api/types.ts";
import { type Endpoint, ipv4SlicesByService, isIPv4, portEndpoints } from "../endpoints.ts";

export type { Endpoint } from "../endpoints.ts";

export type Protocol = "tcp" | "udp" | "sctp";

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

/** Headless and ExternalName Services are resolved by DNS, not routed. */
export function isRoutable(svc: Service): boolean {
  const spec = svc.spec;
  if (!spec || spec.type === "ExternalName") return false;
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP];
  return ips.some(isIPv4);
}

export function servicePorts(services: Service[], slices: EndpointSlice[]): ServicePort[] {
  const slicesByService = ipv4SlicesByService(slices);
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
        endpoints: portEndpoints(slicesByService.get(svcKey) ?? [], portName, port.protocol ?? "TCP"),
      });
    }
  }
  return out.sort((a, b) => compare(a.key, b.key) || compare(a.protocol, b.protocol));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
