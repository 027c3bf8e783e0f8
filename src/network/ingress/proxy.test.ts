import { afterAll, beforeAll, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { createDefaultCertificate, createSelfSignedCertificate, DEFAULT_CERT_CN } from "./default-cert.ts";
import { type IngressProxy, startIngressProxy } from "./proxy.ts";
import { emptyRouteTable, type RouteTable } from "./routes.ts";
import { type Backend, deadPort, echoOf, peerCommonName, request, requestTls, startEchoBackend } from "./testing.ts";

let proxy: IngressProxy;
let one: Backend;
let two: Backend;
let dead: number;
let table: RouteTable = emptyRouteTable();
const local = (port: number) => ({ ip: "127.0.0.1", port });

beforeAll(async () => {
  [one, two, dead] = await Promise.all([startEchoBackend("one"), startEchoBackend("two"), deadPort()]);
  proxy = await startIngressProxy({ host: "127.0.0.1", port: 0, routes: () => table });
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([one?.close(), two?.close()]);
});

test("routes by host and path, passes method, path, query, Host and body, and adds X-Forwarded-*", async () => {
  table = emptyRouteTable();
  table.hosts.set("app.example.com", [
    { path: "/api", exact: false, backend: { key: "default/two:80", endpoints: [local(two.port)] } },
    { path: "/", exact: false, backend: { key: "default/one:80", endpoints: [local(one.port)] } },
  ]);
  const api = echoOf(
    await request(proxy.port, "app.example.com:8080", "/api/items?x=1", {
      method: "POST",
      body: "hello",
      headers: { "x-forwarded-for": "203.0.113.7" },
    }),
  );
  expect(api).toMatchObject({ backend: "two", method: "POST", url: "/api/items?x=1", body: "hello" });
  expect(api.headers.host).toBe("app.example.com:8080");
  expect(api.headers["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
  expect(api.headers["x-forwarded-proto"]).toBe("http");
  expect(api.headers["x-forwarded-host"]).toBe("app.example.com:8080");
  expect(echoOf(await request(proxy.port, "app.example.com", "/apix")).backend).toBe("one");

  // A large body streams through whole.
  const big = "x".repeat(3 << 20);
  const echoed = echoOf(await request(proxy.port, "app.example.com", "/", { method: "PUT", body: big }));
  expect(echoed.body.length).toBe(big.length);
});

test("404 without a route (Traefik's text), 503 without endpoints", async () => {
  table = emptyRouteTable();
  table.hosts.set("empty.example.com", [{ path: "/", exact: false, backend: { key: "default/x:80", endpoints: [] } }]);
  const missing = await request(proxy.port, "nowhere.example.com", "/");
  expect([missing.status, missing.body]).toEqual([404, "404 page not found\n"]);
  expect((await request(proxy.port, "empty.example.com", "/")).status).toBe(503);
});

test("round-robin across endpoints; a refused connection goes to the next endpoint; all failing is 502", async () => {
  table = emptyRouteTable();
  table.anyHost = [
    { path: "/rr", exact: false, backend: { key: "default/rr:80", endpoints: [local(one.port), local(two.port)] } },
    { path: "/retry", exact: false, backend: { key: "default/r:80", endpoints: [local(dead), local(one.port)] } },
    { path: "/down", exact: false, backend: { key: "default/d:80", endpoints: [local(dead)] } },
  ];
  const seen = [];
  for (let i = 0; i < 4; i++) seen.push(echoOf(await request(proxy.port, "h", "/rr")).backend);
  expect(seen.sort()).toEqual(["one", "one", "two", "two"]);
  for (let i = 0; i < 3; i++) {
    const answer = echoOf(await request(proxy.port, "h", "/retry", { method: "POST", body: `try ${i}` }));
    expect([answer.backend, answer.body]).toEqual(["one", `try ${i}`]);
  }
  expect((await request(proxy.port, "h", "/down")).status).toBe(502);
});

test("an Upgrade request is passed through and both directions are piped", async () => {
  // A raw backend that accepts any upgrade and then echoes bytes, as a WebSocket server would after its handshake.
  let seenHead = "";
  const backend = net.createServer((sock) => {
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      sock.off("data", onData);
      seenHead = buf.slice(0, end);
      sock.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      const rest = buf.slice(end + 4);
      if (rest) sock.write(`echo:${rest}`);
      sock.on("data", (more: Buffer) => sock.write(`echo:${more}`));
    };
    sock.on("data", onData);
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const port = (backend.address() as net.AddressInfo).port;
  table = emptyRouteTable();
  table.hosts.set("ws.example.com", [
    { path: "/ws", exact: false, backend: { key: "default/ws:80", endpoints: [local(port)] } },
  ]);

  const client = net.connect(proxy.port, "127.0.0.1");
  let received = "";
  client.on("data", (d: Buffer) => {
    received += d.toString();
  });
  client.write(
    "GET /ws/chat HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  const deadline = Date.now() + 10_000;
  const until = async (cond: () => boolean) => {
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out; received so far: ${JSON.stringify(received)}`);
      await Bun.sleep(5);
    }
  };
  await until(() => received.includes("\r\n\r\n"));
  expect(received).toStartWith("HTTP/1.1 101");
  expect(seenHead).toStartWith("GET /ws/chat HTTP/1.1");
  expect(seenHead.toLowerCase()).toContain("upgrade: websocket");
  expect(seenHead.toLowerCase()).toContain("x-forwarded-for: 127.0.0.1");
  client.write("ping");
  await until(() => received.includes("echo:ping"));
  client.destroy();
  backend.close();
});

test("HTTPS: the certificate is chosen by SNI, the default one otherwise; requests are routed as over HTTP", async () => {
  const [app, fallback] = await Promise.all([
    createSelfSignedCertificate("app.example.com", ["app.example.com"]),
    createDefaultCertificate(),
  ]);
  const secure = await startIngressProxy({
    host: "127.0.0.1",
    port: 0,
    routes: () => table,
    https: {
      port: 0,
      defaultCertificate: fallback,
      certificate: (name) => (name === "app.example.com" ? { key: "default/app@1", ...app } : undefined),
    },
  });
  try {
    table = emptyRouteTable();
    table.anyHost = [
      {
        path: "/web",
        exact: false,
        backend: { key: "default/two:80", endpoints: [local(two.port)] },
        entrypoints: ["web"],
      },
      { path: "/", exact: false, backend: { key: "default/one:80", endpoints: [local(one.port)] } },
    ];
    expect(secure.httpsPort).toBeNumber();
    expect(await peerCommonName(secure.httpsPort!, "app.example.com")).toBe("app.example.com");
    expect(await peerCommonName(secure.httpsPort!, "other.example.com")).toBe(DEFAULT_CERT_CN);
    expect(await peerCommonName(secure.httpsPort!)).toBe(DEFAULT_CERT_CN);
    const echo = echoOf(await requestTls(secure.httpsPort!, "app.example.com", "/tls", app.certPem));
    expect([echo.backend, echo.url, echo.headers["x-forwarded-proto"]]).toEqual(["one", "/tls", "https"]);
    // A route pinned to the web entrypoint is not served over HTTPS.
    expect(echoOf(await requestTls(secure.httpsPort!, "app.example.com", "/web", app.certPem)).backend).toBe("one");
    expect(echoOf(await request(secure.port, "app.example.com", "/web")).backend).toBe("two");
    // The plain listener still answers.
    expect(echoOf(await request(secure.port, "app.example.com", "/")).headers["x-forwarded-proto"]).toBe("http");
  } finally {
    await secure.close();
  }
});

test("a real WebSocket (Bun's client and server) works through the proxy", async () => {
  const backend = Bun.serve<{ host: string }>({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, server) =>
      server.upgrade(req, { data: { host: req.headers.get("host") ?? "" } }) ? undefined : new Response("no"),
    websocket: {
      message: (ws, msg) => {
        ws.send(`echo ${msg} for ${ws.data.host}`);
      },
    },
  });
  try {
    table = emptyRouteTable();
    table.anyHost = [
      { path: "/", exact: false, backend: { key: "default/ws:80", endpoints: [local(backend.port as number)] } },
    ];
    // Bun's WebSocket takes headers (a Bun extension the DOM typing lacks).
    const init = { headers: { host: "ws.example.com" } } as unknown as string[];
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/socket`, init);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send("hi");
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("websocket error"));
    });
    ws.close();
    expect(reply).toBe("echo hi for ws.example.com");
  } finally {
    backend.stop(true);
  }
});

test("a response streams to the client before the backend finishes it", async () => {
  let finish = () => {};
  const backend = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write("data: first\n\n");
    finish = () => res.end("data: last\n\n");
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  try {
    table = emptyRouteTable();
    const port = (backend.address() as net.AddressInfo).port;
    table.anyHost = [{ path: "/", exact: false, backend: { key: "default/sse:80", endpoints: [local(port)] } }];
    const res = await fetch(`http://127.0.0.1:${proxy.port}/events`);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe("data: first\n\n");
    finish();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe("data: last\n\n");
  } finally {
    backend.closeAllConnections();
    backend.close();
  }
});

test("a client that breaks off its request body does not disturb the proxy", async () => {
  table = emptyRouteTable();
  table.anyHost = [{ path: "/", exact: false, backend: { key: "default/one:80", endpoints: [local(one.port)] } }];
  const client = net.connect(proxy.port, "127.0.0.1");
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));
  client.write("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\npartial body");
  client.destroy();
  expect(echoOf(await request(proxy.port, "h", "/after", { method: "POST", body: "ok" })).body).toBe("ok");
});
