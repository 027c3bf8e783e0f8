import { afterAll, expect, test } from "bun:test";
import { createServer } from "node:net";
import { createPodDialer, type PodConnection } from "./netns-dial.ts";

// An echo server on the host's 127.0.0.1: what a hostNetwork pod's localhost is.
const server = createServer((sock) => sock.pipe(sock));
await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
const port = (server.address() as { port: number }).port;
afterAll(() => server.close());

/** Writes `text`, half-closes, and collects what comes back until the connection is over. */
function exchange(conn: PodConnection, text: string): Promise<{ reply: string; error?: string }> {
  const chunks: Buffer[] = [];
  conn.onData((d) => chunks.push(d));
  conn.write(Buffer.from(text));
  conn.end();
  return new Promise((resolve) => conn.onClose((error) => resolve({ reply: Buffer.concat(chunks).toString(), error })));
}

test("hostNetwork: localhost on the host; without a namespace: the pod IP", async () => {
  const dialer = createPodDialer();
  expect(await exchange(dialer.dial({ kind: "host" }, port, "sandbox-1"), "via-host")).toEqual({
    reply: "via-host",
    error: undefined,
  });
  expect(await exchange(dialer.dial({ kind: "ip", ip: "127.0.0.1" }, port, "sandbox-1"), "via-ip")).toEqual({
    reply: "via-ip",
    error: undefined,
  });
  dialer.close();
});

test("nothing listening: upstream's words, naming the pod", async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
  const dead = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const dialer = createPodDialer();
  const host = await exchange(dialer.dial({ kind: "host" }, dead, "sandbox-1"), "x");
  expect(host.error).toStartWith(
    `failed to connect to localhost:${dead} inside namespace "sandbox-1", IPv4: dial tcp4 127.0.0.1:${dead}: connect: connection refused`,
  );
  const ip = await exchange(dialer.dial({ kind: "ip", ip: "127.0.0.1" }, dead, "sandbox-1"), "x");
  expect(ip.error).toContain(`failed to connect to 127.0.0.1:${dead}`);
  dialer.close();
});

test("closing the dialer ends its open connections", async () => {
  const dialer = createPodDialer();
  const conn = dialer.dial({ kind: "host" }, port, "sandbox-1");
  const closed = new Promise<string | undefined>((r) => conn.onClose(r));
  conn.write(Buffer.from("hold"));
  dialer.close();
  expect(await closed).toBeUndefined();
});

test("a dial after close fails at once and starts no relay", async () => {
  const dialer = createPodDialer();
  dialer.close();
  const late = await exchange(dialer.dial({ kind: "netns", path: "/proc/self/ns/net" }, port, "sandbox-1"), "x");
  expect(late.error).toBe("port-forward session closed");
});
