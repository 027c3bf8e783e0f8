import { afterAll, expect, test } from "bun:test";
import { createServer } from "node:net";
import { PassThrough } from "node:stream";
import { dialErrorText, serveLocalhostRelay } from "./localhost-relay.ts";
import { encodeFrame, type Frame, FrameType, frameReader } from "./relay-protocol.ts";

// An upper-casing server on 127.0.0.1 that answers once the client half-closes.
const server = createServer((sock) => {
  const got: Buffer[] = [];
  sock.on("data", (d: Buffer) => got.push(d));
  sock.on("end", () => sock.end(Buffer.concat(got).toString().toUpperCase()));
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
const port = (server.address() as { port: number }).port;
afterAll(() => server.close());

function startRelay() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const frames: Frame[] = [];
  stdout.on(
    "data",
    frameReader((f) => frames.push(f)),
  );
  const done = serveLocalhostRelay({ stdin, stdout });
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 2000 && !check(); i++) await Bun.sleep(10);
    expect(check()).toBe(true);
  };
  return { stdin, frames, done, until, send: (...a: Parameters<typeof encodeFrame>) => stdin.write(encodeFrame(...a)) };
}

test("connections share the relay; data, half-close and close pass through, each under its own id", async () => {
  const r = startRelay();
  for (const id of [1, 2]) {
    // Data may arrive before the connection is up: the relay keeps it.
    r.send(id, FrameType.OPEN, Buffer.from(String(port)));
    r.send(id, FrameType.DATA, Buffer.from(`hello-${id}`));
    r.send(id, FrameType.END);
  }
  await r.until(() => r.frames.filter((f) => f.type === FrameType.CLOSED).length === 2);
  for (const id of [1, 2]) {
    const mine = r.frames.filter((f) => f.id === id);
    const data = Buffer.concat(mine.filter((f) => f.type === FrameType.DATA).map((f) => f.payload)).toString();
    expect(data).toBe(`HELLO-${id}`);
    expect(mine.at(-1)?.type).toBe(FrameType.CLOSED);
    expect(mine.at(-1)?.payload.length).toBe(0);
  }
  r.stdin.end();
  await r.done;
});

test("nothing listening: REFUSED with containerd's reason; the relay goes on", async () => {
  const closed = createServer();
  await new Promise<void>((res) => closed.listen(0, "127.0.0.1", () => res()));
  const deadPort = (closed.address() as { port: number }).port;
  await new Promise<void>((res) => closed.close(() => res()));
  const r = startRelay();
  r.send(7, FrameType.OPEN, Buffer.from(String(deadPort)));
  await r.until(() => r.frames.some((f) => f.id === 7));
  const refused = r.frames.find((f) => f.id === 7);
  expect(refused?.type).toBe(FrameType.REFUSED);
  expect(refused?.payload.toString()).toStartWith(
    `IPv4: dial tcp4 127.0.0.1:${deadPort}: connect: connection refused IPv6 dial tcp6 [::1]:${deadPort}: `,
  );
  r.send(8, FrameType.OPEN, Buffer.from(String(port)));
  r.send(8, FrameType.END);
  await r.until(() => r.frames.some((f) => f.id === 8 && f.type === FrameType.CLOSED));
  r.stdin.end();
  await r.done;
});

test("dial errors read as Go's", () => {
  const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
    code: "ECONNREFUSED",
    syscall: "connect",
  });
  expect(dialErrorText("tcp4", "127.0.0.1:1", err)).toBe("dial tcp4 127.0.0.1:1: connect: connection refused");
  expect(dialErrorText("tcp4", "127.0.0.1:1", new Error("odd"))).toBe("odd");
});
