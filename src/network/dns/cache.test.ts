import { expect, test } from "bun:test";
import { type Answer, type DecodedPacket, decode, encode, type Packet, TRUNCATED_RESPONSE } from "dns-packet";
import { createAnswerCache } from "./cache.ts";
import { queryPacket } from "./testing.ts";

const query = (name: string, type = "A") => decode(queryPacket(name, type));
const answerTo = (q: DecodedPacket, rest: Partial<Packet> & { rcode?: number }): Buffer =>
  encode({ type: "response", id: q.id, flags: rest.rcode ?? 0, questions: q.questions, ...rest });
const a = (name: string, ttl: number, data: string): Answer => ({ name, type: "A", ttl, data });

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test("an answer is served again with the asker's id and spelling, TTLs counted down, until it expires", () => {
  const c = clock();
  const cache = createAnswerCache(c.now);
  const first = query("www.example.test");
  cache.put(first, answerTo(first, { answers: [a("www.example.test", 20, "192.0.2.1")] }));
  c.advance(5_000);
  const again = query("WWW.Example.test");
  const hit = decode(cache.get(again, 512) as Buffer);
  expect(hit.id).toBe(again.id);
  expect(hit.questions?.[0]?.name).toBe("WWW.Example.test");
  expect(hit.answers?.map((r) => [r.name, (r as { ttl: number }).ttl, (r as { data: string }).data])).toEqual([
    ["WWW.Example.test", 15, "192.0.2.1"],
  ]);
  c.advance(15_000);
  expect(cache.get(again, 512)).toBeUndefined();
  expect(cache.get(query("www.example.test", "AAAA"), 512)).toBeUndefined();
});

test("TTLs are capped at 30 s; NXDOMAIN is kept for its SOA's minimum; SERVFAIL and truncated answers are not kept", () => {
  const c = clock();
  const cache = createAnswerCache(c.now);
  const long = query("long.example.test");
  cache.put(long, answerTo(long, { answers: [a("long.example.test", 3600, "192.0.2.2")] }));
  const nx = query("nx.example.test");
  const soa: Answer = {
    type: "SOA",
    name: "example.test",
    ttl: 300,
    data: { mname: "ns", rname: "h", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 10 },
  };
  cache.put(nx, answerTo(nx, { rcode: 3, authorities: [soa] }));
  const fail = query("fail.example.test");
  cache.put(fail, answerTo(fail, { rcode: 2 }));
  const tc = query("tc.example.test");
  cache.put(tc, answerTo(tc, { flags: TRUNCATED_RESPONSE }));
  expect(cache.get(fail, 512)).toBeUndefined();
  expect(cache.get(tc, 512)).toBeUndefined();
  expect((decode(cache.get(nx, 512) as Buffer) as { rcode?: string }).rcode).toBe("NXDOMAIN");
  c.advance(10_000);
  expect(cache.get(nx, 512)).toBeUndefined();
  expect(cache.get(long, 512)).toBeDefined();
  c.advance(20_000);
  expect(cache.get(long, 512)).toBeUndefined();
});

test("an answer too big for the asker is a miss; the least recently used entry goes first", () => {
  const c = clock();
  const cache = createAnswerCache(c.now, 2);
  const big = query("big.example.test");
  const many = Array.from({ length: 40 }, (_, i) => a("big.example.test", 30, `192.0.2.${i + 1}`));
  cache.put(big, answerTo(big, { answers: many }));
  expect(cache.get(big, 512)).toBeUndefined();
  expect(decode(cache.get(big, 4096) as Buffer).answers).toHaveLength(40);
  const [q1, q2] = [query("one.example.test"), query("two.example.test")];
  cache.put(q1, answerTo(q1, { answers: [a("one.example.test", 30, "192.0.2.1")] }));
  cache.get(big, 4096); // used: "one" is now the least recently used
  cache.put(q2, answerTo(q2, { answers: [a("two.example.test", 30, "192.0.2.2")] }));
  expect(cache.get(q1, 512)).toBeUndefined();
  expect(cache.get(big, 4096)).toBeDefined();
  expect(cache.get(q2, 512)).toBeDefined();
});
