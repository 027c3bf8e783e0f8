import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { requestListener } from "./node-adapter.ts";

let server: Server;
let base: string;
let streamCancelled = false;
const encoder = new TextEncoder();

beforeAll(async () => {
  server = createServer(
    requestListener(async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/echo") {
        return new Response(`${req.method} ${await req.text()}`, {
          headers: { "x-seen": req.headers.get("x-a") ?? "" },
        });
      }
      if (url.pathname === "/empty") return new Response(null, { status: 204 });
      if (url.pathname === "/stream") {
        // One event now, then nothing until the client goes away: the shape of a watch.
        return new Response(
          new ReadableStream<Uint8Array>({
            start: (c) => c.enqueue(encoder.encode("first\n")),
            cancel: () => {
              streamCancelled = true;
            },
          }),
        );
      }
      return new Response("not found", { status: 404 });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

test("a complete body goes out with its Content-Length; request headers and body reach the app", async () => {
  const res = await fetch(`${base}/echo`, { method: "POST", body: "hello", headers: { "x-a": "1" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-length")).toBe("10");
  expect(res.headers.get("x-seen")).toBe("1");
  expect(await res.text()).toBe("POST hello");
});

test("no body: status only", async () => {
  const res = await fetch(`${base}/empty`);
  expect(res.status).toBe(204);
  expect(await res.text()).toBe("");
});

test("a streamed body is delivered as it comes and cancelled when the client leaves", async () => {
  const abort = new AbortController();
  const res = await fetch(`${base}/stream`, { signal: abort.signal });
  expect(res.headers.get("content-length")).toBeNull();
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toBe("first\n");
  abort.abort();
  for (let i = 0; i < 400 && !streamCancelled; i++) await Bun.sleep(25);
  expect(streamCancelled).toBe(true);
});
