// A cache of forwarded answers (CoreDNS's `cache 30` in k3s's Corefile): with ndots:5 every external name a pod
// resolves reaches the upstream, and the same few names are asked again and again. Answers are kept for their
// smallest TTL (a negative one for its SOA's), at most 30 s, and served with TTLs counted down, the asker's id and
// the asker's spelling of the name.

import { type Answer, type DecodedPacket, decode, encode, type Packet, TRUNCATED_RESPONSE } from "dns-packet";

export const MAX_CACHE_TTL_S = 30;
const MAX_ENTRIES = 10_000;

interface Entry {
  packet: DecodedPacket & { rcode?: string };
  storedAt: number;
  expiresAt: number;
}

export interface AnswerCache {
  /** The cached answer to `query` as wire bytes, or undefined (a miss, or too big for `maxBytes`). */
  get(query: DecodedPacket, maxBytes: number): Buffer | undefined;
  /** Keeps `answer` (wire bytes from an upstream) if it is a whole NOERROR or NXDOMAIN answer. */
  put(query: DecodedPacket, answer: Buffer): void;
}

export function createAnswerCache(now: () => number = Date.now, maxEntries = MAX_ENTRIES): AnswerCache {
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recently used.
  const entries = new Map<string, Entry>();
  return {
    get(query, maxBytes) {
      const key = cacheKey(query);
      const entry = key && entries.get(key);
      if (!entry) return undefined;
      const t = now();
      if (t >= entry.expiresAt) {
        entries.delete(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      const elapsed = Math.floor((t - entry.storedAt) / 1000);
      const hasOpt = query.additionals?.some((a) => a.type === "OPT");
      const asked = query.questions?.[0]?.name ?? "";
      const age = (records: Answer[] | undefined, keepOpt = true) =>
        (records ?? [])
          .filter((r) => keepOpt || r.type !== "OPT")
          .map((r) => ({
            ...r,
            ...(r.type === "OPT" ? {} : { ttl: Math.max(0, (r.ttl ?? 0) - elapsed) }),
            name: r.name.toLowerCase() === asked.toLowerCase() ? asked : r.name,
          })) as Answer[];
      const packet: Packet = {
        ...entry.packet,
        id: query.id,
        questions: query.questions,
        answers: age(entry.packet.answers),
        authorities: age(entry.packet.authorities),
        additionals: age(entry.packet.additionals, hasOpt),
      };
      try {
        const out = encode(packet);
        return out.length <= maxBytes ? out : undefined;
      } catch {
        entries.delete(key);
        return undefined;
      }
    },
    put(query, answer) {
      const key = cacheKey(query);
      if (!key) return;
      let packet: DecodedPacket & { rcode?: string };
      try {
        packet = decode(answer);
      } catch {
        return;
      }
      if ((packet.flags ?? 0) & TRUNCATED_RESPONSE) return;
      if (packet.rcode !== "NOERROR" && packet.rcode !== "NXDOMAIN") return;
      const ttl = cacheTtl(packet);
      if (ttl <= 0) return;
      const t = now();
      entries.delete(key);
      entries.set(key, { packet, storedAt: t, expiresAt: t + ttl * 1000 });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
  };
}

/** Name (any case), type, class and whether DNSSEC records were asked for; none for odd queries. */
function cacheKey(query: DecodedPacket): string | undefined {
  const q = query.questions?.[0];
  if (!q || query.questions?.length !== 1) return undefined;
  const opt = query.additionals?.find((a) => a.type === "OPT") as { flags?: number } | undefined;
  const dnssecOk = ((opt?.flags ?? 0) & 0x8000) !== 0;
  return `${q.name.toLowerCase()}|${q.type}|${q.class ?? "IN"}|${dnssecOk}`;
}

/** Seconds to keep an answer: its smallest record TTL, or for a negative answer its SOA's; at most 30 s. */
function cacheTtl(packet: DecodedPacket): number {
  const ttls = (packet.answers ?? []).filter((a) => a.type !== "OPT").map((a) => a.ttl ?? 0);
  if (ttls.length === 0) {
    const soa = packet.authorities?.find((a) => a.type === "SOA");
    if (soa?.type !== "SOA") return 0;
    ttls.push(Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0));
  }
  return Math.min(MAX_CACHE_TTL_S, ...ttls);
}
