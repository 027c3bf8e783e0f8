// One DNS query in, one answer out (wire bytes both ways): cluster names from the record lookup, every other name
// forwarded to the upstreams, CNAMEs of ExternalName Services chased, malformed queries answered FORMERR (or
// dropped when not even a header arrived), and UDP answers truncated (TC) past 512 bytes or the client's EDNS size.

import { consola } from "consola";
import {
  type Answer,
  AUTHORITATIVE_ANSWER,
  type DecodedPacket,
  decode,
  encode,
  type Packet,
  type Question,
  RECURSION_AVAILABLE,
  RECURSION_DESIRED,
  TRUNCATED_RESPONSE,
} from "dns-packet";
import { createAnswerCache } from "./cache.ts";
import { type Lookup, type LookupResult, normalize, type Rcode } from "./records.ts";
import { forwardQuery } from "./upstream.ts";

export type Transport = "udp" | "tcp";

export interface ResolverOptions {
  lookup: Lookup;
  /**
   * Where names outside the cluster domain go: "1.1.1.1", "127.0.0.1:5353", "[::1]:53"; a function is asked
   * on every forward (e.g. followHostUpstreams(), which notices when the host's resolv.conf changes).
   */
  upstreams: string[] | (() => string[]);
  clusterDomain: string;
  forwardTimeoutMs?: number;
  /** Keep forwarded answers for their TTL, at most 30 s (default true). */
  cacheForwarded?: boolean;
}

const RCODES: Record<Rcode | "FORMERR" | "NOTIMP", number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
};
const log = consola.withTag("dns");
const QR = 0x8000;
const CLASSIC_UDP_SIZE = 512;
/** The UDP size we advertise in our own OPT record (the DNS flag day 2020 default). */
const EDNS_UDP_SIZE = 1232;
/** CNAME hops followed before giving up (a loop of ExternalNames must not spin). */
const MAX_CNAME_HOPS = 8;

export function createResolver(opts: ResolverOptions): (raw: Buffer, via: Transport) => Promise<Buffer | undefined> {
  const domain = normalize(opts.clusterDomain);
  const isClusterName = (name: string) => {
    const n = normalize(name);
    return n === domain || n.endsWith(`.${domain}`);
  };
  const forward = (raw: Buffer, via: Transport) =>
    forwardQuery(raw, typeof opts.upstreams === "function" ? opts.upstreams() : opts.upstreams, {
      tcp: via === "tcp",
      timeoutMs: opts.forwardTimeoutMs,
    });

  const cache = opts.cacheForwarded === false ? undefined : createAnswerCache();
  const forwardCached = async (raw: Buffer, query: DecodedPacket, via: Transport) => {
    const hit = cache?.get(query, via === "tcp" ? 0xffff : udpLimit(query));
    if (hit) return hit;
    const answer = await forward(raw, via);
    if (answer) cache?.put(query, answer);
    return answer;
  };

  return async (raw, via) => {
    // Without a whole header there is no id to answer to; a response (QR set) is never answered, to avoid loops.
    if (raw.length < 12 || raw.readUInt16BE(2) & QR) return undefined;
    let query: DecodedPacket;
    try {
      query = decode(raw);
    } catch {
      return headerOnly(raw, "FORMERR");
    }
    if ((query as { opcode?: string }).opcode !== "QUERY") return headerOnly(raw, "NOTIMP");
    const question = query.questions?.[0];
    if (query.questions?.length !== 1 || !question) return headerOnly(raw, "FORMERR");
    try {
      let result = opts.lookup(question);
      if (!result) {
        if (isClusterName(question.name)) result = errorResult("SERVFAIL");
        else return (await forwardCached(raw, query, via)) ?? respond(query, errorResult("SERVFAIL"), via, false);
      }
      await chaseCname(question, result);
      return respond(query, result, via);
    } catch (err) {
      // A record we cannot encode (say, an ExternalName that is no DNS name) must still get the client an answer.
      log.warn(`answering ${question.type} ${question.name} failed: ${(err as Error)?.message ?? err}`);
      return headerOnly(raw, "SERVFAIL");
    }
  };

  /** Appends what the last CNAME's target resolves to, as a recursive server does (stub resolvers do not chase). */
  async function chaseCname(question: Question, result: LookupResult): Promise<void> {
    if (question.type === "CNAME" || (question.type as string) === "ANY") return;
    for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
      const last = result.answers.at(-1);
      if (last?.type !== "CNAME") return;
      const next: Question = { name: last.data, type: question.type, class: "IN" };
      if (isClusterName(next.name)) {
        const more = opts.lookup(next);
        if (!more) return;
        result.answers.push(...more.answers);
        continue;
      }
      const answer = await forward(encode({ id: randomId(), flags: RECURSION_DESIRED, questions: [next] }), "udp");
      if (!answer) return;
      try {
        result.answers.push(...(decode(answer).answers ?? []));
      } catch {}
      return;
    }
  }
}

function errorResult(rcode: Rcode): LookupResult {
  return { rcode, answers: [], authorities: [], additionals: [] };
}

/** Our answer to `query`, truncated to fit a UDP client's buffer (it then retries over TCP). */
function respond(query: DecodedPacket, result: LookupResult, via: Transport, authoritative = true): Buffer {
  const opt = query.additionals?.find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
  const ednsAnswer: Answer[] = opt
    ? [{ type: "OPT", name: ".", udpPayloadSize: EDNS_UDP_SIZE, flags: 0 } as unknown as Answer]
    : [];
  const packet: Packet = {
    type: "response",
    id: query.id,
    flags:
      (authoritative ? AUTHORITATIVE_ANSWER : 0) |
      RECURSION_AVAILABLE |
      ((query.flags ?? 0) & RECURSION_DESIRED) |
      RCODES[result.rcode],
    questions: query.questions,
    answers: result.answers,
    authorities: result.authorities,
    additionals: [...result.additionals, ...ednsAnswer],
  };
  const full = encode(packet);
  if (via === "tcp" || full.length <= udpLimit(query)) return full;
  return encode({
    ...packet,
    flags: (packet.flags ?? 0) | TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: ednsAnswer,
  });
}

/** The largest UDP answer the client takes: 512 bytes, or what its EDNS OPT record says. */
function udpLimit(query: DecodedPacket): number {
  const opt = query.additionals?.find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
  return opt ? Math.max(CLASSIC_UDP_SIZE, opt.udpPayloadSize ?? 0) : CLASSIC_UDP_SIZE;
}

/** A bare answer header (no sections) carrying `rcode`, for queries we cannot or will not parse. */
function headerOnly(raw: Buffer, rcode: "FORMERR" | "NOTIMP" | "SERVFAIL"): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(raw.readUInt16BE(0), 0);
  // Keep the opcode and RD of the query; set QR and the rcode.
  const flags = raw.readUInt16BE(2) & (0x7800 | RECURSION_DESIRED);
  out.writeUInt16BE(QR | flags | RECURSION_AVAILABLE | RCODES[rcode], 2);
  return out;
}

function randomId(): number {
  return Math.floor(Math.random() * 0x10000);
}
