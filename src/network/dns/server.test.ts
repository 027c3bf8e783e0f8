import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket, type Socket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Answer } from "dns-packet";
import type { Service } from "../../api/types.ts";
import { staticCatalog } from "./catalog.ts";
import { createRecordLookup } from "./records.ts";
import { type DnsServer, startDnsServer } from "./server.ts";
import { ask, exchange, queryPacket } from "./testing.ts";
import { followHostUpstreams, hostUpstreams, parseUpstream } from "./upstream.ts";

const web: Service = {
  metadata: { name: "web", namespace: "default" },
  spec: { clusterIP: "10.43.0.20", ports: [{ name: "http", port: 80 }] },
};
const ext: Service = {
  metadata: { name: "ext", namespace: "default" },
  spec: { type: "ExternalName", externalName: "www.example.test" },
};
const alias: Service = {
  metadata: { name: "alias", namespace: "default" },
  spec: { type: "ExternalName", externalName: "web.default.svc.cluster.local" },
};
const bad: Service = {
  metadata: { name: "bad", namespace: "default" },
  spec: { type: "ExternalName", externalName: `${"x".repeat(70)}.example.test` },
};
// 40 A records: far more than 512 bytes.
const many: Answer[] = Array.from({ length: 40 }, (_, i) => ({
  name: "many.example.test",
  type: "A",
  ttl: 30,
  data: `192.0.2.${i + 1}`,
}));

const upstreamAsked = new Map<string, number>();
let upstream: DnsServer; // a fake upstream resolver: every name is 192.0.2.1 (many.example.test: 40 addresses)
let silent: Socket; // an upstream that never answers
let server: DnsServer;
let deafServer: DnsServer;

beforeAll(async () => {
  upstream = await startDnsServer({
    host: "127.0.0.1",
    port: 0,
    upstreams: [],
    clusterDomain: "unused.invalid",
    lookup: (q) => {
      upstreamAsked.set(q.name, (upstreamAsked.get(q.name) ?? 0) + 1);
      return {
        rcode: "NOERROR",
        answers: q.name === "many.example.test" ? many : [{ name: q.name, type: "A", ttl: 30, data: "192.0.2.1" }],
        authorities: [],
        additionals: [],
      };
    },
  });
  silent = createSocket("udp4");
  await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", () => resolve()));
  const lookup = createRecordLookup(staticCatalog([web, ext, alias, bad]), "cluster.local");
  server = await startDnsServer({
    host: "127.0.0.1",
    port: 0,
    lookup,
    upstreams: [`127.0.0.1:${upstream.port}`],
    clusterDomain: "cluster.local",
  });
  deafServer = await startDnsServer({
    host: "127.0.0.1",
    port: 0,
    lookup,
    upstreams: [`127.0.0.1:${silent.address().port}`],
    clusterDomain: "cluster.local",
    forwardTimeoutMs: 300,
  });
});

afterAll(async () => {
  await Promise.all([server?.close(), deafServer?.close(), upstream?.close()]);
  silent?.close();
});

describe("DNS server", () => {
  for (const via of ["udp", "tcp"] as const) {
    test(`answers cluster names over ${via}`, async () => {
      const r = await ask(server.port, "web.default.svc.cluster.local", "A", via);
      expect(r.rcode).toBe("NOERROR");
      expect(r.flag_aa).toBe(true);
      expect(r.answers?.map((a) => (a as { data: string }).data)).toEqual(["10.43.0.20"]);
      expect((await ask(server.port, "nope.default.svc.cluster.local", "A", via)).rcode).toBe("NXDOMAIN");
    });

    test(`forwards other names to the upstream over ${via}`, async () => {
      const r = await ask(server.port, "www.example.test", "A", via);
      expect(r.rcode).toBe("NOERROR");
      expect(r.answers?.map((a) => (a as { data: string }).data)).toEqual(["192.0.2.1"]);
    });
  }

  test("forwarded answers are cached for their TTL", async () => {
    for (let i = 0; i < 3; i++) expect((await ask(server.port, "cached.example.test")).answers).toHaveLength(1);
    expect(upstreamAsked.get("cached.example.test")).toBe(1);
  });

  test("SERVFAIL when no upstream answers in time", async () => {
    const r = await ask(deafServer.port, "www.example.test");
    expect(r.rcode).toBe("SERVFAIL");
  });

  test("an ExternalName's CNAME comes with its target's addresses", async () => {
    const r = await ask(server.port, "ext.default.svc.cluster.local");
    expect(r.answers?.map((a) => [a.type, (a as { data: string }).data])).toEqual([
      ["CNAME", "www.example.test"],
      ["A", "192.0.2.1"],
    ]);
  });

  test("an ExternalName naming a cluster Service is chased in the cluster; one that is no DNS name is SERVFAIL", async () => {
    const r = await ask(server.port, "alias.default.svc.cluster.local");
    expect(r.answers?.map((a) => (a as { data: string }).data)).toEqual([
      "web.default.svc.cluster.local",
      "10.43.0.20",
    ]);
    expect((await ask(server.port, "bad.default.svc.cluster.local")).rcode).toBe("SERVFAIL");
  });

  test("UDP answers past 512 bytes are truncated unless EDNS allows more; TCP carries them whole", async () => {
    const r = await ask(upstream.port, "many.example.test");
    expect(r.flag_tc).toBe(true);
    expect(r.answers).toEqual([]);
    const tcp = await ask(upstream.port, "many.example.test", "A", "tcp");
    expect(tcp.answers).toHaveLength(40);
    const edns = queryPacket("many.example.test", "A", {
      additionals: [{ type: "OPT", name: ".", udpPayloadSize: 4096 } as unknown as Answer],
    });
    const big = (await import("dns-packet")).decode(await exchange(upstream.port, edns, "udp"));
    expect(big.flag_tc).toBe(false);
    expect(big.answers).toHaveLength(40);
    // Through the forwarder too: the truncated answer reaches the client, which retries over TCP.
    expect((await ask(server.port, "many.example.test")).flag_tc).toBe(true);
    expect((await ask(server.port, "many.example.test", "A", "tcp")).answers).toHaveLength(40);
  });

  test("malformed packets get FORMERR or are dropped, and the server keeps answering", async () => {
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff]);
    const formerr = (await import("dns-packet")).decode(await exchange(server.port, garbage, "udp"));
    expect(formerr.id).toBe(0x1234);
    expect((formerr as { rcode?: string }).rcode).toBe("FORMERR");
    for (const via of ["udp", "tcp"] as const) {
      await expect(exchange(server.port, Buffer.from([1, 2, 3]), via, 200)).rejects.toThrow();
    }
    expect((await ask(server.port, "web.default.svc.cluster.local")).rcode).toBe("NOERROR");
  });
});

describe("upstreams", () => {
  test("hostUpstreams reads the nameserver lines of a resolv.conf", async () => {
    const dir = await mkdtemp(join(tmpdir(), "k3lite-dns-"));
    try {
      const path = join(dir, "resolv.conf");
      await writeFile(path, "# comment\nsearch lan\nnameserver 192.168.1.1\nnameserver fe80::1%eth0\nnameserver ::1\n");
      expect(hostUpstreams(path)).toEqual(["192.168.1.1", "::1"]);
      expect(hostUpstreams(join(dir, "missing"))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("followHostUpstreams re-reads the file, leaving out excluded addresses", async () => {
    const dir = await mkdtemp(join(tmpdir(), "k3lite-dns-"));
    try {
      const path = join(dir, "resolv.conf");
      await writeFile(path, "nameserver 10.43.0.10\nnameserver 192.168.1.1\n");
      const upstreams = followHostUpstreams(path, ["10.43.0.10"], 0);
      expect(upstreams()).toEqual(["192.168.1.1"]);
      await writeFile(path, "nameserver 192.168.1.2\n");
      expect(upstreams()).toEqual(["192.168.1.2"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("parseUpstream takes an optional port", () => {
    expect(parseUpstream("1.1.1.1")).toEqual({ host: "1.1.1.1", port: 53 });
    expect(parseUpstream("127.0.0.1:5353")).toEqual({ host: "127.0.0.1", port: 5353 });
    expect(parseUpstream("::1")).toEqual({ host: "::1", port: 53 });
    expect(parseUpstream("[::1]:5353")).toEqual({ host: "::1", port: 5353 });
  });
});
