// The ingress's HTTP listener (Traefik's role in k3s, in-process): each request is matched on Host and path against
// the current route table and forwarded to one of the backend's endpoints (round-robin; a connection failure tries
// the next endpoint once), bodies streamed both ways; `Upgrade` requests (WebSockets) are piped as raw sockets.
// No route: 404 "404 page not found" (as Traefik); no endpoints: 503; every endpoint failing: 502. With `https`,
// a TLS listener picks the certificate by SNI and hands decrypted connections to the same HTTP server.

import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import tls from "node:tls";
import { type Backend, type Endpoint, findRoute, type RouteTable } from "./routes.ts";
import type { CertificateRef } from "./tls-certs.ts";

export interface IngressProxyOptions {
  host: string;
  port: number;
  /** Called per request: the routes in force now (rebuilt by the caller when Ingresses or endpoints change). */
  routes: () => RouteTable;
  https?: IngressTlsOptions;
}

export interface IngressTlsOptions {
  port: number;
  /** Presented when `certificate` has none for the server name (or its PEM is unusable). */
  defaultCertificate: { certPem: string; keyPem: string };
  /** Called per handshake with the client's SNI name. */
  certificate: (servername: string | undefined) => CertificateRef | undefined;
}

export interface IngressProxy {
  port: number;
  /** Set when `https` was given. */
  httpsPort?: number;
  close(): Promise<void>;
}

/** Headers that describe one connection, not the message: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
  // The listener already answered 100-continue to the client; the backend gets the body without asking.
  "expect",
]);
const FORWARDED = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-real-ip"];
/** Errors that mean the endpoint was never reached, so the request may go to another one unchanged. */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "EADDRNOTAVAIL"]);
/** A request body is kept for a retry until the backend answers, up to this size (then it is not retried). */
const MAX_REPLAY_BYTES = 1 << 20;

export async function startIngressProxy(opts: IngressProxyOptions): Promise<IngressProxy> {
  const balancer = createBalancer();
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };

  const route = (req: IncomingMessage): Backend | undefined =>
    findRoute(opts.routes(), hostOf(req), pathOf(req), (req.socket as tls.TLSSocket).encrypted ? "websecure" : "web");

  const server = http.createServer((req, res) => {
    const backend = route(req);
    if (!backend) return reply(res, 404, "404 page not found");
    if (!backend.endpoints.length) return reply(res, 503, "no available server");
    forward(req, res, balancer.pick(backend), forwardedHeaders(req), agent);
  });
  server.on("connection", track);
  server.on("upgrade", (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
    track(socket);
    socket.on("error", () => socket.destroy());
    const backend = route(req);
    if (!backend) return rejectUpgrade(socket, 404, "404 page not found");
    if (!backend.endpoints.length) return rejectUpgrade(socket, 503, "no available server");
    tunnel(req, socket, head, balancer.pick(backend), track);
  });

  const tlsServer = opts.https && createTlsListener(opts.https, (socket) => server.emit("connection", socket));
  const listeners: net.Server[] = [server, ...(tlsServer ? [tlsServer] : [])];
  try {
    const port = await listen(server, opts.host, opts.port);
    const httpsPort = tlsServer && opts.https ? await listen(tlsServer, opts.host, opts.https.port) : undefined;
    return { port, httpsPort, close };
  } catch (err) {
    await close();
    throw err;
  }

  async function close() {
    const closed = listeners.map(
      (l) => new Promise<void>((resolve) => (l.listening ? l.close(() => resolve()) : resolve())),
    );
    for (const s of sockets) s.destroy();
    agent.destroy();
    await Promise.all(closed);
  }
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** A TLS listener choosing the certificate by SNI; secure contexts are cached per Secret version. */
function createTlsListener(opts: IngressTlsOptions, onSecure: (socket: tls.TLSSocket) => void): tls.Server {
  const contexts = new Map<string, tls.SecureContext | undefined>();
  const fallback = tls.createSecureContext({
    cert: opts.defaultCertificate.certPem,
    key: opts.defaultCertificate.keyPem,
  });
  const contextFor = (servername: string | undefined): tls.SecureContext => {
    const ref = opts.certificate(servername);
    if (!ref) return fallback;
    if (!contexts.has(ref.key)) {
      if (contexts.size >= 256) contexts.clear(); // renewed Secrets leave old versions behind
      try {
        contexts.set(ref.key, tls.createSecureContext({ cert: ref.certPem, key: ref.keyPem }));
      } catch {
        contexts.set(ref.key, undefined); // a Secret holding no usable key pair: the default certificate
      }
    }
    return contexts.get(ref.key) ?? fallback;
  };
  const server = tls.createServer(
    {
      cert: opts.defaultCertificate.certPem,
      key: opts.defaultCertificate.keyPem,
      SNICallback: (servername, cb) => cb(null, contextFor(servername)),
    },
    onSecure,
  );
  // A failed handshake concerns one client only.
  server.on("tlsClientError", (_err, socket) => socket.destroy());
  return server;
}

/** Round-robin per backend: the endpoint whose turn it is, then the next one for a retry. */
function createBalancer() {
  const turns = new Map<string, number>();
  return {
    pick(backend: Backend): Endpoint[] {
      const eps = backend.endpoints;
      const turn = (turns.get(backend.key) ?? 0) % eps.length;
      turns.set(backend.key, turn + 1);
      return eps.length > 1 ? [eps[turn]!, eps[(turn + 1) % eps.length]!] : [eps[0]!];
    },
  };
}

/** Sends `req` to the first target; a connection failure before any answer retries on the next one. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  targets: Endpoint[],
  headers: IncomingHttpHeaders,
  agent: http.Agent,
): void {
  const recorded: Buffer[] = [];
  let recordedBytes = 0;
  let replayable = true;
  let ended = false;
  let current: http.ClientRequest | undefined;
  let attempt = 0;

  req.on("data", (chunk: Buffer) => {
    if (replayable) {
      recorded.push(chunk);
      recordedBytes += chunk.length;
      if (recordedBytes > MAX_REPLAY_BYTES) stopRecording();
    }
    const out = current;
    if (out && !out.write(chunk)) {
      req.pause();
      out.once("drain", () => current === out && req.resume());
    }
  });
  req.on("end", () => {
    ended = true;
    current?.end();
  });
  // The client went away (or broke off its body): stop the upstream request too.
  req.on("error", () => current?.destroy());
  res.on("error", () => current?.destroy());
  res.on("close", () => {
    if (!res.writableFinished) current?.destroy();
  });

  function stopRecording() {
    replayable = false;
    recorded.length = 0;
  }

  function attemptNext() {
    const ep = targets[attempt++]!;
    const out = http.request(
      { host: ep.ip, port: ep.port, method: req.method, path: req.url, headers, agent },
      (upstream) => {
        stopRecording();
        res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, withoutHopByHop(upstream.headers));
        upstream.pipe(res);
        upstream.on("error", () => res.destroy());
      },
    );
    out.on("error", (err: NodeJS.ErrnoException) => {
      if (current !== out) return;
      if (res.headersSent) return void res.destroy();
      if (attempt < targets.length && replayable && CONNECT_ERRORS.has(err.code ?? "")) return attemptNext();
      current = undefined;
      reply(res, 502, "Bad Gateway");
    });
    current = out;
    for (const chunk of recorded) out.write(chunk);
    if (ended) out.end();
    req.resume();
  }
  attemptNext();
}

/** Connects to the first target that accepts, sends it the request head, then pipes the two sockets. */
function tunnel(
  req: IncomingMessage,
  socket: net.Socket,
  head: Buffer,
  targets: Endpoint[],
  track: (s: net.Socket) => void,
): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (const [name, value] of Object.entries(forwardedHeaders(req, true))) {
    for (const v of Array.isArray(value) ? value : [value ?? ""]) lines.push(`${name}: ${v}`);
  }
  const requestHead = `${lines.join("\r\n")}\r\n\r\n`;
  let attempt = 0;
  const connect = () => {
    const ep = targets[attempt++]!;
    const upstream = net.connect(ep.port, ep.ip);
    track(upstream);
    const onError = () => {
      if (socket.destroyed) return;
      if (attempt < targets.length) connect();
      else rejectUpgrade(socket, 502, "Bad Gateway");
    };
    upstream.once("error", onError);
    upstream.once("connect", () => {
      upstream.off("error", onError);
      upstream.on("error", () => socket.destroy());
      upstream.write(requestHead);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      upstream.once("close", () => socket.destroy());
      socket.once("close", () => upstream.destroy());
    });
  };
  connect();
}

/** The client's headers for the backend: Host kept (as Traefik's passHostHeader), X-Forwarded-* set. */
function forwardedHeaders(req: IncomingMessage, upgrade = false): IncomingHttpHeaders {
  const headers = upgrade ? { ...req.headers } : withoutHopByHop(req.headers);
  for (const name of FORWARDED) delete headers[name];
  const client = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
  const prior = req.headers["x-forwarded-for"];
  headers["x-forwarded-for"] = prior ? `${prior}, ${client}` : client;
  headers["x-forwarded-proto"] = (req.socket as tls.TLSSocket).encrypted ? "https" : "http";
  headers["x-forwarded-host"] = req.headers.host ?? "";
  headers["x-forwarded-port"] = String(req.socket.localPort ?? "");
  headers["x-real-ip"] = client;
  return headers;
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  // Headers named in Connection are hop-by-hop too.
  const named = String(headers.connection ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !named.includes(name) && value !== undefined) out[name] = value;
  }
  return out;
}

/** The Host header without its port ("[::1]:80" → "[::1]"). */
export function hostOf(req: IncomingMessage): string {
  const host = req.headers.host ?? "";
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  return host.split(":")[0] ?? "";
}

/** The request path without the query (an absolute-form target is reduced to its path). */
export function pathOf(req: IncomingMessage): string {
  let target = req.url ?? "/";
  if (!target.startsWith("/")) {
    try {
      target = new URL(target).pathname;
    } catch {
      return "/";
    }
  }
  const q = target.search(/[?#]/);
  return q < 0 ? target : target.slice(0, q);
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
  res.end(`${text}\n`);
}

function rejectUpgrade(socket: net.Socket, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
