// IPv4 CIDR arithmetic for the pod network: parse, contain, and carve the node's pod range out of the cluster's.

export interface Cidr {
  base: number; // network address as an unsigned 32-bit integer
  prefix: number;
}

export function parseCidr(cidr: string): Cidr {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ip & mask) >>> 0, prefix };
}

export function ipToString(ip: number): string {
  return [24, 16, 8, 0].map((s) => (ip >>> s) & 255).join(".");
}

export function formatCidr(c: Cidr): string {
  return `${ipToString(c.base)}/${c.prefix}`;
}

/** The first subnet of size /`prefix` inside `cidr` (the whole range when it is already smaller). */
export function firstSubnet(cidr: string, prefix = 24): string {
  const c = parseCidr(cidr);
  return formatCidr({ base: c.base, prefix: Math.max(prefix, c.prefix) });
}

/** The gateway the bridge takes: the first host address of the range. */
export function gatewayOf(cidr: string): string {
  return ipToString(parseCidr(cidr).base + 1);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const addr = parseCidr(`${ip}/32`).base;
  const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
  return (addr & mask) >>> 0 === c.base;
}
