// Answers for names under the cluster domain, as CoreDNS's kubernetes plugin gives them: Services (ClusterIP,
// headless, ExternalName), endpoint hostnames, SRV for named ports, dashed-IP pod names, and reverse lookups of
// Service and endpoint IPs. Pure: it reads a ServiceCatalog and returns records; the server does the wire format.

import { isIPv4, isIPv6 } from "node:net";
import type { Answer, Question, SrvAnswer } from "dns-packet";
import type { EndpointSlice, Service } from "../../api/types.ts";
import type { ServiceCatalog } from "./catalog.ts";

export const TTL = 5;
/** The version of the Kubernetes DNS specification answered at dns-version.<domain>, as CoreDNS reports it. */
const DNS_SCHEMA_VERSION = "1.1.0";

export type Rcode = "NOERROR" | "NXDOMAIN" | "SERVFAIL";

export interface LookupResult {
  rcode: Rcode;
  answers: Answer[];
  /** The SOA of the cluster domain on negative answers, so resolvers cache them only briefly. */
  authorities: Answer[];
  /** Addresses of SRV targets. */
  additionals: Answer[];
}

/** Answers one question, or undefined when the name is not the cluster's (the server forwards it). */
export type Lookup = (question: Question) => LookupResult | undefined;

interface Endpoint {
  /** hostname, or the dashed address (10-42-0-7) as CoreDNS names endpoints without one. */
  name: string;
  ip: string;
  slice: EndpointSlice;
}

export function createRecordLookup(catalog: ServiceCatalog, clusterDomain: string): Lookup {
  const domain = normalize(clusterDomain);
  const soa: Answer = {
    type: "SOA",
    name: domain,
    ttl: TTL,
    data: {
      mname: `ns.dns.${domain}`,
      rname: `hostmaster.${domain}`,
      serial: Math.floor(Date.now() / 1000),
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: TTL,
    },
  };
  const result = (rcode: Rcode, answers: Answer[] = [], additionals: Answer[] = []): LookupResult => ({
    rcode,
    answers,
    additionals,
    authorities: rcode === "NOERROR" && answers.length > 0 ? [] : [soa],
  });
  const nxdomain = () => result("NXDOMAIN");
  const nodata = () => result("NOERROR");

  return (question) => {
    const qname = normalize(question.name);
    if (qname.endsWith(".in-addr.arpa") || qname.endsWith(".ip6.arpa")) return reverse(question, qname);
    if (qname !== domain && !qname.endsWith(`.${domain}`)) return undefined;
    const labels = qname === domain ? [] : qname.slice(0, -domain.length - 1).split(".");
    const kind = labels.at(-1);
    if (labels.length === 0) {
      if (question.type === "SOA") return result("NOERROR", [{ ...soa, name: question.name }]);
      if (question.type === "NS") return result("NOERROR", [record(question.name, "NS", `ns.dns.${domain}`)]);
      return nodata();
    }
    if (labels.length === 1 && labels[0] === "dns-version") {
      return question.type === "TXT" ? result("NOERROR", [record(question.name, "TXT", DNS_SCHEMA_VERSION)]) : nodata();
    }
    if (kind === "pod") return pod(question, labels.slice(0, -1));
    if (kind === "svc") return svc(question, labels.slice(0, -1));
    return nxdomain();
  };

  function pod(question: Question, labels: string[]): LookupResult {
    if (labels.length < 2) return nodata(); // pod.<domain>, <ns>.pod.<domain>
    if (labels.length > 2) return nxdomain();
    const ip = labels[0]?.replaceAll("-", ".") ?? "";
    if (!isIPv4(ip)) return nxdomain();
    return question.type === "A" ? result("NOERROR", [record(question.name, "A", ip)]) : nodata();
  }

  function svc(question: Question, labels: string[]): LookupResult {
    if (labels.length === 0) return nodata(); // svc.<domain>
    const [namespace, name] = [labels.at(-1) ?? "", labels.at(-2) ?? ""];
    if (labels.length === 1) return catalog.hasNamespace(namespace) ? nodata() : nxdomain();
    const service = catalog.service(namespace, name);
    if (!service) return nxdomain();
    const base = `${name}.${namespace}.svc.${domain}`;
    if (labels.length === 2) {
      if (service.spec?.type === "ExternalName") return externalName(question, service);
      if (question.type === "SRV") return srv(question, service, base);
      return addressAnswer(question, serviceAddresses(service, catalog));
    }
    if (labels.length === 3) {
      const endpoints = readyEndpoints(catalog, service).filter((e) => e.name === labels[0]);
      if (endpoints.length === 0) return nxdomain();
      return addressAnswer(
        question,
        endpoints.map((e) => e.ip),
      );
    }
    if (labels.length === 4 && labels[0]?.startsWith("_") && labels[1]?.startsWith("_")) {
      const port = labels[0].slice(1);
      const protocol = labels[1].slice(1).toUpperCase();
      const ports = (service.spec?.ports ?? []).filter(
        (p) => p.name?.toLowerCase() === port && (p.protocol ?? "TCP") === protocol,
      );
      if (ports.length === 0) return nxdomain();
      if (question.type === "SRV") return srv(question, service, base, port, protocol);
      return addressAnswer(question, serviceAddresses(service, catalog));
    }
    return nxdomain();
  }

  function externalName(question: Question, service: Service): LookupResult {
    const target = normalize(service.spec?.externalName ?? "");
    if (!target) return nodata();
    // The API validates externalName, but a name that cannot be encoded must not reach the wire.
    if (!isDnsName(target)) return result("SERVFAIL");
    return result("NOERROR", [record(question.name, "CNAME", target)]);
  }

  /** SRV records for the Service's named ports (one port when `port`/`protocol` are given). */
  function srv(question: Question, service: Service, base: string, port?: string, protocol?: string): LookupResult {
    const wanted = (p: { name?: string; protocol?: string }) =>
      !!p.name && (!port || (p.name.toLowerCase() === port && (p.protocol ?? "TCP") === protocol));
    const targets: { target: string; port: number; ip: string[] }[] = [];
    if (isHeadless(service)) {
      for (const ep of readyEndpoints(catalog, service)) {
        for (const p of ep.slice.ports ?? []) {
          if (p.port && wanted({ name: p.name ?? undefined, protocol: p.protocol ?? undefined })) {
            targets.push({ target: `${ep.name}.${base}`, port: p.port, ip: [ep.ip] });
          }
        }
      }
    } else {
      const ips = serviceAddresses(service, catalog);
      for (const p of service.spec?.ports ?? []) if (wanted(p)) targets.push({ target: base, port: p.port, ip: ips });
    }
    if (targets.length === 0) return nodata();
    const weight = Math.max(1, Math.floor(100 / targets.length));
    const answers: SrvAnswer[] = targets.map((t) => ({
      type: "SRV",
      name: question.name,
      ttl: TTL,
      data: { priority: 0, weight, port: t.port, target: t.target },
    }));
    const additionals = new Map<string, Answer>();
    for (const t of targets) {
      for (const ip of t.ip) additionals.set(`${t.target} ${ip}`, record(t.target, isIPv6(ip) ? "AAAA" : "A", ip));
    }
    return result("NOERROR", answers, [...additionals.values()]);
  }

  function addressAnswer(question: Question, ips: string[]): LookupResult {
    const type = question.type === "AAAA" ? "AAAA" : question.type === "A" ? "A" : undefined;
    if (!type) return nodata();
    const matching = ips.filter((ip) => (type === "A" ? isIPv4(ip) : isIPv6(ip)));
    return result(
      "NOERROR",
      matching.map((ip) => record(question.name, type, ip)),
    );
  }

  /** PTR for a Service's cluster IP or a headless Service's endpoint; undefined (forward) for other addresses. */
  function reverse(question: Question, qname: string): LookupResult | undefined {
    const ip = reverseToIp(qname);
    if (!ip) return undefined;
    for (const service of catalog.services()) {
      const ns = service.metadata?.namespace ?? "";
      const base = `${service.metadata?.name}.${ns}.svc.${domain}`;
      let target: string | undefined;
      if (!isHeadless(service) && serviceAddresses(service, catalog).includes(ip)) target = base;
      else if (isHeadless(service)) {
        const ep = readyEndpoints(catalog, service).find((e) => e.ip === ip);
        if (ep) target = `${ep.name}.${base}`;
      }
      if (target) {
        return question.type === "PTR" ? result("NOERROR", [record(question.name, "PTR", target)]) : nodata();
      }
    }
    return undefined;
  }
}

function record(name: string, type: "A" | "AAAA" | "CNAME" | "NS" | "PTR" | "TXT", data: string): Answer {
  return { name, type, ttl: TTL, data } as Answer;
}

/** Lower case, without the trailing dot: DNS names compare case-insensitively. */
export function normalize(name: string): string {
  return name.toLowerCase().replace(/\.+$/, "");
}

/** Labels of 1–63 bytes, 253 bytes in all (RFC 1035 §2.3.4). */
function isDnsName(name: string): boolean {
  return name.length <= 253 && name.split(".").every((label) => label.length > 0 && label.length <= 63);
}

function isHeadless(service: Service): boolean {
  return service.spec?.clusterIP === "None";
}

/** The addresses a Service's name resolves to: its cluster IPs, or for a headless Service its ready endpoints. */
function serviceAddresses(service: Service, catalog: ServiceCatalog): string[] {
  if (isHeadless(service)) return [...new Set(readyEndpoints(catalog, service).map((e) => e.ip))];
  const ips = service.spec?.clusterIPs?.length ? service.spec.clusterIPs : [service.spec?.clusterIP];
  return ips.filter((ip): ip is string => !!ip && ip !== "None");
}

/** Ready endpoints (ready unset counts as ready, as the API asks consumers to read it) with their DNS names. */
function readyEndpoints(catalog: ServiceCatalog, service: Service): Endpoint[] {
  const out: Endpoint[] = [];
  const slices = catalog.endpointSlices(service.metadata?.namespace ?? "", service.metadata?.name ?? "");
  for (const slice of slices) {
    if (slice.addressType === "FQDN") continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        const name = ep.hostname ? ep.hostname.toLowerCase() : ip.replaceAll(isIPv6(ip) ? ":" : ".", "-");
        out.push({ name, ip, slice });
      }
    }
  }
  return out;
}

/** 7.0.42.10.in-addr.arpa → 10.42.0.7; the 32 nibbles of an ip6.arpa name → the IPv6 address. */
function reverseToIp(qname: string): string | undefined {
  if (qname.endsWith(".in-addr.arpa")) {
    const parts = qname.slice(0, -".in-addr.arpa".length).split(".").reverse();
    const ip = parts.join(".");
    return parts.length === 4 && isIPv4(ip) ? ip : undefined;
  }
  const nibbles = qname.slice(0, -".ip6.arpa".length).split(".").reverse();
  if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4)
    groups.push(
      nibbles
        .slice(i, i + 4)
        .join("")
        .replace(/^0{1,3}/, ""),
    );
  return compressIPv6(groups.join(":"));
}

/** Canonical (RFC 5952) form, so reverse lookups match addresses as the API stores them. */
function compressIPv6(full: string): string {
  const url = new URL(`http://[${full}]/`);
  return url.hostname.slice(1, -1);
}
