// Forwarding to the host's resolvers: the nameservers of /etc/resolv.conf, tried in order within one deadline,
// over UDP from a fresh random port per query (answers accepted only from the port asked and with the query's
// id), and over TCP for a TCP client whose answer did not fit in UDP.

import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { connect, isIPv6 } from "node:net";
import { TRUNCATED_RESPONSE } from "dns-packet";
import { frame, readFrames } from "./tcp-framing.ts";

/** How long a forwarded query may take, all upstreams together, before the client gets SERVFAIL. */
export const FORWARD_TIMEOUT_MS = 2000;

/** The nameserver addresses of a resolv.conf (the host's by default); none if it cannot be read. */
export function hostUpstreams(path = "/etc/resolv.conf"): string[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const [key, address] = line.trim().split(/\s+/);
    // A zone index (fe80::1%eth0) cannot be dialled by name here; such link-local servers are skipped.
    if (key === "nameserver" && address && !address.includes("%")) out.push(address);
  }
  return out;
}

/**
 * hostUpstreams() re-read at most every `everyMs` (DHCP or a VPN may rewrite resolv.conf while the agent runs),
 * without `exclude` (the cluster DNS address itself: forwarding there would loop).
 */
export function followHostUpstreams(path?: string, exclude: string[] = [], everyMs = 30_000): () => string[] {
  let readAt = Number.NEGATIVE_INFINITY;
  let current: string[] = [];
  return () => {
    if (Date.now() - readAt >= everyMs) {
      current = hostUpstreams(path).filter((u) => !exclude.includes(u));
      readAt = Date.now();
    }
    return current;
  };
}

/** "1.1.1.1", "1.1.1.1:5353", "::1" or "[::1]:5353" → host and port (53 unless given). */
export function parseUpstream(address: string): { host: string; port: number } {
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1] as string, port: Number(bracketed[2] ?? 53) };
  if (isIPv6(address)) return { host: address, port: 53 };
  const colon = address.lastIndexOf(":");
  return colon < 0
    ? { host: address, port: 53 }
    : { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/**
 * The first answer any upstream gives to `query` (raw wire bytes), or undefined when none answers in time. UDP
 * first even for TCP clients (CoreDNS's prefer_udp: many home routers answer TCP badly or not at all); TCP only
 * when the UDP answer was truncated and the client asked over TCP, so it can take the whole answer.
 */
export async function forwardQuery(
  query: Buffer,
  upstreams: string[],
  opts: { tcp?: boolean; timeoutMs?: number } = {},
): Promise<Buffer | undefined> {
  const deadline = Date.now() + (opts.timeoutMs ?? FORWARD_TIMEOUT_MS);
  // Each upstream gets an equal share of the time left, so a dead first server leaves time for the next.
  const share = (left: number) => (deadline - Date.now()) / left;
  for (let i = 0; i < upstreams.length; i++) {
    if (share(upstreams.length - i) <= 0) break;
    const upstream = parseUpstream(upstreams[i] as string);
    const answer = await askUdp(query, upstream, share(upstreams.length - i));
    if (answer && !(opts.tcp && isTruncated(answer))) return answer;
    if (answer && opts.tcp) return (await askTcp(query, upstream, share(upstreams.length - i))) ?? answer;
  }
  return undefined;
}

function isTruncated(answer: Buffer): boolean {
  return (answer.readUInt16BE(2) & TRUNCATED_RESPONSE) !== 0;
}

type Ask = (query: Buffer, upstream: { host: string; port: number }, timeoutMs: number) => Promise<Buffer | undefined>;

const askUdp: Ask = (query, { host, port }, timeoutMs) =>
  new Promise((resolve) => {
    const socket = createSocket(isIPv6(host) ? "udp6" : "udp4");
    const id = query.readUInt16BE(0);
    const finish = (answer?: Buffer) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => {});
      try {
        socket.close();
      } catch {}
      resolve(answer);
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    socket.on("error", () => finish());
    socket.on("message", (msg, rinfo) => {
      // Anything but the server's answer to this query (a spoofed or stray packet) is ignored.
      if (rinfo.port !== port || msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      finish(msg);
    });
    socket.send(query, port, host, (err) => {
      if (err) finish();
    });
  });

const askTcp: Ask = (query, { host, port }, timeoutMs) =>
  new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (answer?: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    socket.on("error", () => finish());
    socket.on("close", () => finish());
    socket.on("connect", () => socket.write(frame(query)));
    readFrames(socket, (msg) => finish(Buffer.from(msg)));
  });
