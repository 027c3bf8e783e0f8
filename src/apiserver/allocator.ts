// ClusterIP and NodePort allocation, kept in the datastore like upstream's RangeAllocation objects: one key per
// range holding the used offsets, changed only by compare-and-swap, so two API requests (or two servers) can
// never hand out the same IP or port. Released when the Service is deleted.

import type { KubeObject } from "../api/types.ts";
import { type Store, StoreError } from "../store/types.ts";
import { type FieldError, invalidValue, throwIfInvalid } from "./validation.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A contiguous range of integers [base, base+size) with some reserved offsets. */
export class RangeAllocator {
  constructor(
    private readonly store: Store,
    private readonly key: string,
    readonly size: number,
    /** Offsets never handed out (network and broadcast address of a CIDR). */
    private readonly reserved: Set<number> = new Set(),
  ) {}

  private async mutate<T>(change: (used: Set<number>) => T): Promise<T> {
    for (let attempt = 0; attempt < 64; attempt++) {
      const kv = await this.store.get(this.key);
      const used = new Set<number>(kv ? (JSON.parse(decoder.decode(kv.value)).used as number[]) : []);
      const result = change(used);
      const value = encoder.encode(JSON.stringify({ used: [...used].sort((a, b) => a - b) }));
      try {
        if (kv) await this.store.update(this.key, value, kv.modRevision);
        else await this.store.create(this.key, value);
        return result;
      } catch (err) {
        if (err instanceof StoreError && (err.code === "conflict" || err.code === "exists")) continue;
        throw err;
      }
    }
    throw new Error(`allocation of ${this.key} kept losing to concurrent writers`);
  }

  /** Claims `offset`; false when it is taken or outside the range. */
  claim(offset: number): Promise<boolean> {
    if (offset < 0 || offset >= this.size || this.reserved.has(offset)) return Promise.resolve(false);
    return this.mutate((used) => {
      if (used.has(offset)) return false;
      used.add(offset);
      return true;
    });
  }

  /** Picks a free offset (random start, so restarts do not reuse a just-freed value first); undefined when full. */
  allocate(): Promise<number | undefined> {
    return this.mutate((used) => {
      const start = Math.floor(Math.random() * this.size);
      for (let i = 0; i < this.size; i++) {
        const o = (start + i) % this.size;
        if (!used.has(o) && !this.reserved.has(o)) {
          used.add(o);
          return o;
        }
      }
      return undefined;
    });
  }

  release(offsets: number[]): Promise<void> {
    if (!offsets.length) return Promise.resolve();
    return this.mutate((used) => {
      for (const o of offsets) used.delete(o);
    });
  }
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}
const intToIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

export interface Cidr {
  base: number;
  size: number;
  text: string;
}

export function parseCidr(text: string): Cidr {
  const [ip, bits] = text.split("/");
  const base = ipToInt(ip);
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30)
    throw new Error(`invalid service CIDR "${text}"`);
  const size = 2 ** (32 - prefix);
  return { base: base - (base % size), size, text };
}

/** The n-th address of a CIDR (1 = the `kubernetes` Service's IP). */
export const nthIp = (cidr: Cidr, n: number) => intToIp(cidr.base + n);

export const NODE_PORT_BASE = 30000;
export const NODE_PORT_SIZE = 2768;

const needsNodePorts = (svc: KubeObject) =>
  svc.spec?.type === "NodePort" ||
  (svc.spec?.type === "LoadBalancer" && svc.spec?.allocateLoadBalancerNodePorts !== false);
const wantsClusterIp = (svc: KubeObject) => svc.spec?.type !== "ExternalName" && svc.spec?.clusterIP !== "None";

type Port = { nodePort?: number };

export class ServiceAllocators {
  readonly ips: RangeAllocator;
  readonly ports: RangeAllocator;

  constructor(
    store: Store,
    readonly cidr: Cidr,
  ) {
    this.ips = new RangeAllocator(store, "/registry/ranges/serviceips", cidr.size, new Set([0, cidr.size - 1]));
    this.ports = new RangeAllocator(store, "/registry/ranges/servicenodeports", NODE_PORT_SIZE);
  }

  /** Fills in spec.clusterIP(s) and nodePorts, claiming requested ones; 422 when taken or out of range. */
  async allocate(svc: KubeObject, old?: KubeObject): Promise<void> {
    const spec = svc.spec ?? {};
    const errs: FieldError[] = [];
    // What this call claimed, handed back if the request fails validation further on.
    const claimedIps: number[] = [];
    const claimedPorts: number[] = [];
    if (wantsClusterIp(svc) && !old?.spec?.clusterIP) {
      if (spec.clusterIP) {
        const n = ipToInt(spec.clusterIP);
        const offset = n === undefined ? -1 : n - this.cidr.base;
        if (offset <= 0 || offset >= this.cidr.size - 1) {
          errs.push(
            invalidValue(
              "spec.clusterIPs[0]",
              spec.clusterIP,
              `provided IP is not in the valid range. The range of valid IPs is ${this.cidr.text}`,
            ),
          );
        } else if (!(await this.ips.claim(offset))) {
          errs.push(invalidValue("spec.clusterIPs[0]", spec.clusterIP, "provided IP is already allocated"));
        } else claimedIps.push(offset);
      } else {
        const offset = await this.ips.allocate();
        if (offset === undefined) errs.push(invalidValue("spec.clusterIPs", "", "range is full"));
        else {
          spec.clusterIP = nthIp(this.cidr, offset);
          claimedIps.push(offset);
        }
      }
    }
    if (spec.clusterIP && spec.clusterIP !== "None") spec.clusterIPs = [spec.clusterIP];
    if (spec.clusterIP === "None") spec.clusterIPs = ["None"];

    const oldPorts = new Set<number>(
      ((old?.spec?.ports ?? []) as Port[]).map((p) => p.nodePort).filter((p): p is number => !!p),
    );
    const kept = new Set<number>();
    const ports: Port[] = spec.ports ?? [];
    if (needsNodePorts(svc)) {
      for (const [i, p] of ports.entries()) {
        if (p.nodePort && oldPorts.has(p.nodePort)) {
          kept.add(p.nodePort);
        } else if (p.nodePort) {
          if (p.nodePort < NODE_PORT_BASE || p.nodePort >= NODE_PORT_BASE + NODE_PORT_SIZE) {
            errs.push(
              invalidValue(
                `spec.ports[${i}].nodePort`,
                p.nodePort,
                `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_BASE}-${NODE_PORT_BASE + NODE_PORT_SIZE - 1}`,
              ),
            );
          } else if (!(await this.ports.claim(p.nodePort - NODE_PORT_BASE))) {
            errs.push(invalidValue(`spec.ports[${i}].nodePort`, p.nodePort, "provided port is already allocated"));
          } else claimedPorts.push(p.nodePort - NODE_PORT_BASE);
        } else {
          const offset = await this.ports.allocate();
          if (offset === undefined) errs.push(invalidValue(`spec.ports[${i}].nodePort`, 0, "range is full"));
          else {
            p.nodePort = NODE_PORT_BASE + offset;
            claimedPorts.push(offset);
          }
        }
      }
    } else {
      for (const p of ports) delete p.nodePort;
    }
    if (errs.length) {
      await this.ips.release(claimedIps);
      await this.ports.release(claimedPorts);
      throwIfInvalid(errs, "", "Service", svc.metadata?.name ?? "");
    }
    // Ports the old object held and the new one dropped go back to the pool.
    await this.ports.release([...oldPorts].filter((p) => !kept.has(p)).map((p) => p - NODE_PORT_BASE));
  }

  async release(svc: KubeObject): Promise<void> {
    const ip = svc.spec?.clusterIP;
    const n = ip && ip !== "None" ? ipToInt(ip) : undefined;
    if (n !== undefined) await this.ips.release([n - this.cidr.base]);
    const ports = ((svc.spec?.ports ?? []) as Port[]).map((p) => p.nodePort).filter((p): p is number => !!p);
    await this.ports.release(ports.map((p) => p - NODE_PORT_BASE));
  }
}
