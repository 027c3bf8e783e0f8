// The sandbox's DNS configuration for the pod's dnsPolicy (ClusterFirst, ClusterFirstWithHostNet, Default,
// None) merged with spec.dnsConfig, as the kubelet builds /etc/resolv.conf.

import { readFileSync } from "node:fs";
import type { Pod } from "../../api/types.ts";

export interface DnsSettings {
  clusterDns: string;
  clusterDomain: string;
  /** The host's resolv.conf, for dnsPolicy Default (and ClusterFirst on the host network). */
  resolvConf?: string;
}

function hostResolvConf(path = "/etc/resolv.conf"): { servers: string[]; searches: string[]; options: string[] } {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {}
  const out = { servers: [] as string[], searches: [] as string[], options: [] as string[] };
  for (const line of text.split("\n")) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === "nameserver" && rest[0]) out.servers.push(rest[0]);
    else if (key === "search") out.searches = rest;
    else if (key === "options") out.options.push(...rest);
  }
  return out;
}

export function podDnsConfig(pod: Pod, s: DnsSettings): { servers: string[]; searches: string[]; options: string[] } {
  const spec = pod.spec ?? { containers: [] };
  let policy = spec.dnsPolicy ?? "ClusterFirst";
  if (policy === "ClusterFirst" && spec.hostNetwork) policy = "Default";
  if (policy === "ClusterFirstWithHostNet") policy = "ClusterFirst";
  const host = hostResolvConf(s.resolvConf);
  let dns = { servers: [] as string[], searches: [] as string[], options: [] as string[] };
  if (policy === "ClusterFirst") {
    const ns = pod.metadata?.namespace ?? "default";
    const d = s.clusterDomain;
    dns = {
      servers: [s.clusterDns],
      searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches],
      options: ["ndots:5"],
    };
  } else if (policy === "Default") {
    dns = host;
  }
  const extra = spec.dnsConfig;
  if (extra) {
    dns.servers = [...dns.servers, ...(extra.nameservers ?? [])];
    dns.searches = [...dns.searches, ...(extra.searches ?? [])];
    for (const o of extra.options ?? []) {
      const opt = o.value !== undefined ? `${o.name}:${o.value}` : (o.name ?? "");
      const name = opt.split(":")[0];
      dns.options = [...dns.options.filter((x) => x.split(":")[0] !== name), opt];
    }
  }
  // resolv.conf allows at most 3 nameservers and 32 search domains.
  return { servers: dns.servers.slice(0, 3), searches: [...new Set(dns.searches)].slice(0, 32), options: dns.options };
}
