// Renders the Service routing rules (kube-proxy's iptables mode, in k3lite's own chains) as the input of one
// `iptables-restore --noflush` for the nat table: every sync redeclares (so flushes) and refills all our chains
// atomically, and deletes the per-service chains it no longer uses. Pure: objects in, text out.

import { createHash } from "node:crypto";
import type { EndpointSlice, Service } from "../../api/types.ts";
import { type Endpoint, type ServicePort, servicePorts } from "./service-ports.ts";

export const SERVICES_CHAIN = "K3LITE-SERVICES";
export const NODEPORTS_CHAIN = "K3LITE-NODEPORTS";
export const MARK_MASQ_CHAIN = "K3LITE-MARK-MASQ";
export const POSTROUTING_CHAIN = "K3LITE-SVC-POSTROUTING";
/** The packet mark meaning "masquerade this after routing" (kube-proxy's default bit). */
export const MASQ_MARK = "0x4000";

/** filter-table chain (from INPUT) guarding 127.0.0.0/8 once node ports answer on localhost (route_localnet). */
export const FIREWALL_CHAIN = "K3LITE-SVC-FIREWALL";

/** Our fixed nat chains; the per-service ones are named by `isServiceChain`. */
export const FIXED_CHAINS = [SERVICES_CHAIN, NODEPORTS_CHAIN, MARK_MASQ_CHAIN, POSTROUTING_CHAIN];

const HASHED_CHAIN = /^K3LITE-(SVC|SEP|EXT|SVL)-[A-Z2-7]{16}$/;

/** Whether `chain` is a per-service chain a sync owns (and may delete). */
export function isServiceChain(chain: string): boolean {
  return HASHED_CHAIN.test(chain);
}

export interface ServiceRulesOptions {
  /** The pod network: traffic to a Service from outside it is masqueraded so replies come back through us. */
  clusterCidr: string;
  /** Addresses node ports answer on; default: every local address (`-m addrtype --dst-type LOCAL`). */
  nodeIps?: string[];
  /** This node, for externalTrafficPolicy: Local (endpoints elsewhere are not used for outside traffic). */
  nodeName?: string;
  /**
   * Node ports also answer on 127.0.0.1 (as kube-proxy's do). Needs net.ipv4.conf.all.route_localnet=1; the
   * filter rule then drops packets for 127.0.0.0/8 that arrive from outside and were not DNATed by us.
   */
  localhostNodePorts?: boolean;
  /** nat chains present now (from iptables-save); our hashed ones no longer used are deleted. */
  existingChains?: string[];
}

/** The `iptables-restore --noflush` input (nat table) that routes `services` to their endpoints. */
export function buildServiceRules(services: Service[], slices: EndpointSlice[], opts: ServiceRulesOptions): string {
  opts = { ...opts, clusterCidr: ipv4Cidr(opts.clusterCidr) };
  const chains = new Set<string>(FIXED_CHAINS);
  const rules: string[] = [
    `-A ${MARK_MASQ_CHAIN} -j MARK --or-mark ${MASQ_MARK}`,
    `-A ${POSTROUTING_CHAIN} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    // Clear the mark so a packet that is routed again (e.g. through a tunnel) is not masqueraded twice.
    `-A ${POSTROUTING_CHAIN} -j MARK --xor-mark ${MASQ_MARK}`,
    `-A ${POSTROUTING_CHAIN} -m comment --comment "k3lite service traffic requiring SNAT" -j MASQUERADE`,
  ];
  const nodePortRules: string[] = [];
  for (const sp of servicePorts(services, slices)) {
    // A Service without endpoints gets no rule at all: its IP stays free for a local listener (cluster DNS).
    if (!sp.endpoints.length) continue;
    const render = renderServicePort(sp, opts);
    for (const chain of render.chains) chains.add(chain);
    rules.push(...render.rules);
    nodePortRules.push(...render.nodePortRules);
  }
  rules.push(...nodePortRules);
  // Node ports last, so a ClusterIP that happens to be local is matched as a ClusterIP first.
  const nodePortsComment = `-m comment --comment "k3lite service nodeports"`;
  if (opts.nodeIps?.length) {
    for (const ip of opts.nodeIps)
      rules.push(`-A ${SERVICES_CHAIN} ${nodePortsComment} -d ${ip}/32 -j ${NODEPORTS_CHAIN}`);
  } else {
    rules.push(`-A ${SERVICES_CHAIN} ${nodePortsComment} -m addrtype --dst-type LOCAL -j ${NODEPORTS_CHAIN}`);
  }
  const stale = (opts.existingChains ?? []).filter((c) => isServiceChain(c) && !chains.has(c)).sort();
  return [
    "*nat",
    ...[...chains, ...stale].map((c) => `:${c} - [0:0]`),
    ...rules,
    ...stale.map((c) => `-X ${c}`),
    "COMMIT",
    "*filter",
    `:${FIREWALL_CHAIN} - [0:0]`,
    ...(opts.localhostNodePorts
      ? [
          `-A ${FIREWALL_CHAIN} -m comment --comment "block incoming localnet connections" ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
        ]
      : []),
    "COMMIT",
    "",
  ].join("\n");
}

/** The IPv4 range of a possibly dual-stack "v4,v6" cluster CIDR (`! -s` takes one range only). */
function ipv4Cidr(clusterCidr: string): string {
  const ranges = clusterCidr.split(",").map((r) => r.trim());
  return ranges.find((r) => !r.includes(":")) ?? ranges[0]!;
}

interface RenderedPort {
  chains: string[];
  rules: string[];
  nodePortRules: string[];
}

function renderServicePort(sp: ServicePort, opts: ServiceRulesOptions): RenderedPort {
  const svcChain = chainName("SVC", `${sp.key}/${sp.protocol}`);
  const extChain = chainName("EXT", `${sp.key}/${sp.protocol}`);
  const localChain = chainName("SVL", `${sp.key}/${sp.protocol}`);
  const comment = `-m comment --comment "${sp.key}"`;
  const proto = `-p ${sp.protocol} -m ${sp.protocol}`;
  const out: RenderedPort = { chains: [svcChain], rules: [], nodePortRules: [] };
  const epChains = sp.endpoints.map((ep) => chainName("SEP", `${sp.key}/${sp.protocol}/${ep.ip}:${ep.port}`));
  out.chains.push(...epChains);
  const hasExternal = sp.nodePort !== undefined || sp.externalIPs.length > 0;
  // A traffic policy of Local needs to know which endpoints are here; without a node name both act as Cluster.
  const internalLocal = sp.internalPolicyLocal && !!opts.nodeName;
  const externalLocal = sp.externalPolicyLocal && !!opts.nodeName && hasExternal;
  const internalChain = internalLocal ? localChain : svcChain;
  for (const ip of sp.clusterIPs) {
    const dst = `-d ${ip}/32 ${proto} --dport ${sp.port}`;
    out.rules.push(`-A ${SERVICES_CHAIN} ${comment} ${dst} -j ${internalChain}`);
    // From the host (or anything outside the pod network): masquerade, or the endpoint's reply skips us.
    out.rules.push(`-A ${internalChain} ${comment} ! -s ${opts.clusterCidr} ${dst} -j ${MARK_MASQ_CHAIN}`);
  }
  // SVC balances over every endpoint, SVL (when a policy is Local) over this node's only.
  out.rules.push(...balance(svcChain, epChains, sp, comment));
  if (internalLocal || externalLocal) {
    out.chains.push(localChain);
    const local = sp.endpoints.flatMap((ep, i) => (ep.nodeName === opts.nodeName ? [epChains[i]!] : []));
    out.rules.push(...balance(localChain, local, sp, comment));
  }
  sp.endpoints.forEach((ep, i) => {
    out.rules.push(...endpointRules(epChains[i]!, ep, sp, comment, proto));
  });

  if (!hasExternal) return out;
  // Outside traffic (node port, external IPs) enters through one chain that decides on masquerade and locality.
  out.chains.push(extChain);
  for (const ip of sp.externalIPs) {
    out.rules.push(`-A ${SERVICES_CHAIN} ${comment} -d ${ip}/32 ${proto} --dport ${sp.port} -j ${extChain}`);
  }
  if (sp.nodePort !== undefined) {
    out.nodePortRules.push(`-A ${NODEPORTS_CHAIN} ${comment} ${proto} --dport ${sp.nodePort} -j ${extChain}`);
  }
  if (!externalLocal) {
    out.rules.push(`-A ${extChain} -j ${MARK_MASQ_CHAIN}`, `-A ${extChain} -j ${svcChain}`);
    return out;
  }
  // externalTrafficPolicy: Local keeps the client's address, so only this node's endpoints can answer it; pods
  // and the node itself still reach every endpoint, as through the ClusterIP.
  out.rules.push(
    `-A ${extChain} -s ${opts.clusterCidr} -j ${svcChain}`,
    `-A ${extChain} -m addrtype --src-type LOCAL -j ${MARK_MASQ_CHAIN}`,
    `-A ${extChain} -m addrtype --src-type LOCAL -j ${svcChain}`,
    `-A ${extChain} -j ${localChain}`,
  );
  return out;
}

/** Spreads new connections evenly: the i-th of n endpoints takes 1/(n-i) of what is left; affinity first. */
function balance(chain: string, epChains: string[], sp: ServicePort, comment: string): string[] {
  const rules: string[] = [];
  if (sp.affinitySeconds !== undefined) {
    for (const ep of epChains) {
      rules.push(
        `-A ${chain} ${comment} -m recent --name ${ep} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${ep}`,
      );
    }
  }
  epChains.forEach((ep, i) => {
    const left = epChains.length - i;
    const statistic = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : "";
    rules.push(`-A ${chain} ${comment}${statistic} -j ${ep}`);
  });
  return rules;
}

function endpointRules(chain: string, ep: Endpoint, sp: ServicePort, comment: string, proto: string): string[] {
  const affinity = sp.affinitySeconds !== undefined ? ` -m recent --name ${chain} --set` : "";
  return [
    // Hairpin: a pod reaching itself through its Service must see the reply come from the Service's address.
    `-A ${chain} ${comment} -s ${ep.ip}/32 -j ${MARK_MASQ_CHAIN}`,
    `-A ${chain} ${comment}${affinity} ${proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`,
  ];
}

/** "K3LITE-<kind>-" + 16 base32 characters of sha256(id): 27 characters, within iptables' 28. */
export function chainName(kind: "SVC" | "SEP" | "EXT" | "SVL", id: string): string {
  return `K3LITE-${kind}-${base32(createHash("sha256").update(id).digest()).slice(0, 16)}`;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}
