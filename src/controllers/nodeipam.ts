// NodeIpamController (range allocator): gives every Node a podCIDR (/24 by default) carved from
// --cluster-cidr. The allocation map is rebuilt from the Nodes themselves, so a deleted node's range is free
// again and a restart forgets nothing; ranges handed out but not yet seen in the cache are held meanwhile.

import type { Node } from "../api/types.ts";
import { nodes as nodesRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";

export interface Ipv4Cidr {
  base: number; // network address as an unsigned 32-bit number
  bits: number;
}

export function parseCidr(text: string): Ipv4Cidr {
  const [ip, bits] = text.trim().split("/");
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255)) || !(Number(bits) >= 0 && Number(bits) <= 32)) {
    throw new Error(`invalid IPv4 CIDR "${text}"`);
  }
  const n = Number(bits);
  const value = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return { base: (value & mask) >>> 0, bits: n };
}

export function formatCidr(c: Ipv4Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.bits}`;
}

/** The index-th subnet of size /maskSize inside `cluster`, or undefined past the end. */
export function subnet(cluster: Ipv4Cidr, maskSize: number, index: number): Ipv4Cidr | undefined {
  const count = 2 ** (maskSize - cluster.bits);
  if (index < 0 || index >= count) return undefined;
  return { base: (cluster.base + index * 2 ** (32 - maskSize)) >>> 0, bits: maskSize };
}

/** The first /maskSize range in `cluster` not in `used`. */
export function allocateCidr(cluster: Ipv4Cidr, maskSize: number, used: Set<string>): string | undefined {
  for (let i = 0; ; i++) {
    const s = subnet(cluster, maskSize, i);
    if (!s) return undefined;
    const text = formatCidr(s);
    if (!used.has(text)) return text;
  }
}

export function startNodeIpamController(ctx: ControllerContext, clusterCidr: string, maskSize = 24): Controller {
  // Dual-stack --cluster-cidr lists IPv4 first; only IPv4 ranges are allocated here.
  const v4 = clusterCidr.split(",").find((c) => c.includes("."));
  const cluster = v4 ? parseCidr(v4) : undefined;
  if (cluster && maskSize < cluster.bits)
    throw new Error(`node CIDR mask /${maskSize} is larger than cluster CIDR ${clusterCidr}`);
  const informer = ctx.informer<Node>(nodesRef);
  const controller = newController(ctx, "nodeipam", syncNode);
  const inFlight = new Map<string, string>(); // node name → range patched but not yet seen
  informer.addEventHandler({
    onAdd: (n) => controller.enqueue(n.metadata?.name ?? ""),
    onUpdate: (_, n) => controller.enqueue(n.metadata?.name ?? ""),
    onDelete: (n) => inFlight.delete(n.metadata?.name ?? ""),
  });

  async function syncNode(name: string): Promise<void> {
    const node = informer.lister.get(undefined, name);
    if (!cluster || !node || node.metadata?.deletionTimestamp) return;
    if (node.spec?.podCIDR) {
      inFlight.delete(name);
      return;
    }
    const used = new Set<string>(inFlight.values());
    for (const n of informer.lister.list()) if (n.spec?.podCIDR) used.add(n.spec.podCIDR);
    const held = inFlight.get(name);
    const cidr = held ?? allocateCidr(cluster, maskSize, used);
    if (!cidr) {
      ctx.recorder.event(node, "Normal", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable`);
      return;
    }
    inFlight.set(name, cidr);
    try {
      await ctx.client.patch(nodesRef, name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, "merge");
      ctx.recorder.event(node, "Normal", "CIDRAssignmentSucceeded", `Node ${name} was assigned podCIDR ${cidr}`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) {
        inFlight.delete(name);
        return;
      }
      throw err;
    }
  }

  return controller;
}
