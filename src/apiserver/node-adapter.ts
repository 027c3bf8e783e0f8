// Runs a fetch-style app (Request → Response) behind node:http, leaner than @hono/node-server's adapter: a complete
// body goes out in one write with its Content-Length, and no timer is armed per request; streamed bodies (watches,
// logs) are written as they come and cancelled when the client goes away. Measured with bench/listener.ts.

import type { IncomingMessage, ServerResponse } from "node:http";

export interface NodeEnv {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

// biome-ignore lint/suspicious/noExplicitAny: Hono apps type their env bindings precisely
export type FetchHandler = (req: Request, env: any) => Response | Promise<Response>;

/** Request bodies are buffered up to this (the API server refuses more than 3 MiB anyway); the rest is discarded. */
const MAX_BUFFERED_BODY = 8 * 1024 * 1024;

/**
 * Answers a request without building a fetch Request/Response when it can (the API server's GET of one object),
 * returning true; `slow` is the ordinary path, for when it finds mid-way that it cannot.
 */
export type FastPath = (
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  /** The ordinary path; `env` adds to what the fetch handler receives (what the fast path already learnt). */
  slow: (env?: Record<string, unknown>) => Promise<void>,
) => boolean;

export function requestListener(
  fetch: FetchHandler,
  fast?: FastPath,
): (incoming: IncomingMessage, outgoing: ServerResponse) => void {
  return (incoming, outgoing) => {
    const slow = (env?: Record<string, unknown>) => handle(fetch, incoming, outgoing, env);
    if (!fast?.(incoming, outgoing, slow)) void slow();
  };
}

async function handle(
  fetch: FetchHandler,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  extraEnv?: Record<string, unknown>,
): Promise<void> {
  // A client that leaves before the response is complete ends what the app is still doing for it (log streams).
  // Only GETs stream, so only they pay for the signal and the listener.
  let abort: AbortController | undefined;
  if (incoming.method === "GET") {
    const controller = new AbortController();
    abort = controller;
    outgoing.once("close", () => {
      if (!outgoing.writableFinished) controller.abort();
    });
  }
  let res: Response;
  try {
    const req = await toRequest(incoming, abort?.signal);
    if (!req) res = new Response("bad request", { status: 400 });
    else res = await fetch(req, { ...extraEnv, incoming, outgoing } satisfies NodeEnv);
  } catch (err) {
    if (err instanceof ClientGone) return;
    console.error("apiserver: request failed:", err);
    res = new Response(null, { status: 500 });
  }
  try {
    await writeResponse(res, outgoing);
  } catch {
    outgoing.destroy();
  }
}

async function toRequest(incoming: IncomingMessage, signal?: AbortSignal): Promise<Request | undefined> {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  const path = incoming.url ?? "/";
  const method = incoming.method ?? "GET";
  const body = method === "GET" || method === "HEAD" ? null : await readBody(incoming);
  try {
    const url = path.startsWith("/") ? `https://${incoming.headers.host || "localhost"}${path}` : path;
    return new Request(url, { method, headers, body: body?.length ? (body as Uint8Array<ArrayBuffer>) : null, signal });
  } catch {
    return undefined; // an unparsable Host or request target
  }
}

class ClientGone extends Error {}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on("data", (chunk: Buffer) => {
      if (size > MAX_BUFFERED_BODY) return;
      size += chunk.length;
      chunks.push(chunk);
    });
    incoming.once("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    incoming.once("error", reject);
    // A client that leaves mid-body would otherwise leave this pending forever.
    incoming.once("close", () => {
      if (!incoming.complete) reject(new ClientGone());
    });
  });
}

const COMPLETE_BODY = Symbol("k3lite.completeBody");

/**
 * A Response whose body is `text`, marked so the adapter writes the text at once instead of reading the body
 * stream chunk by chunk (most API answers: objects, lists, Status errors). Other servers see a normal Response.
 */
export function completeResponse(text: string, init: ResponseInit): Response {
  const res = new Response(text, init);
  (res as Response & { [COMPLETE_BODY]?: string })[COMPLETE_BODY] = text;
  return res;
}

function completeBodyOf(res: Response): string | undefined {
  return (res as Response & { [COMPLETE_BODY]?: string })[COMPLETE_BODY];
}

/** A read that is already settled, or undefined when the stream has nothing yet (a watch waiting for events). */
function readNow(reader: ReadableStreamDefaultReader<Uint8Array>) {
  const pending = reader.read();
  return { pending, settled: Promise.race([pending, Promise.resolve().then(() => undefined)]) };
}

async function writeResponse(res: Response, outgoing: ServerResponse): Promise<void> {
  // Bun's Headers#toJSON: a plain record, Set-Cookie kept as an array.
  const headers = (res.headers as Headers & { toJSON(): Record<string, string | string[]> }).toJSON();
  const text = completeBodyOf(res);
  if (text !== undefined) {
    const body = Buffer.from(text);
    headers["content-length"] = String(body.byteLength);
    return writeComplete(outgoing, res.status, headers, body);
  }
  if (!res.body) {
    outgoing.writeHead(res.status, headers);
    outgoing.end();
    return;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  // A body built from a string or bytes is all there at once: collect it and send it in one write.
  for (;;) {
    const { pending, settled } = readNow(reader);
    const chunk = await settled;
    if (!chunk) return stream(res.status, headers, chunks, pending, reader, outgoing);
    if (chunk.done) break;
    chunks.push(chunk.value);
  }
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  if (!("content-length" in headers) && res.status !== 204 && res.status !== 304)
    headers["content-length"] = String(body.byteLength);
  writeComplete(outgoing, res.status, headers, body);
}

/**
 * Head and body in one TLS record and one syscall: node:http writes them separately, and corking the socket
 * around both halves the sends per response (measured with strace: 2 → 1 sendto).
 */
export function writeComplete(
  outgoing: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: Uint8Array,
): void {
  const socket = outgoing.socket;
  socket?.cork();
  outgoing.writeHead(status, headers);
  outgoing.end(body);
  socket?.uncork();
}

async function stream(
  status: number,
  headers: Record<string, string | string[]>,
  first: Uint8Array[],
  pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  outgoing: ServerResponse,
): Promise<void> {
  outgoing.writeHead(status, headers);
  outgoing.flushHeaders();
  for (const chunk of first) outgoing.write(chunk);
  let closed = false;
  const cancel = () => {
    closed = true;
    reader.cancel().catch(() => {});
  };
  if (outgoing.closed) cancel();
  else outgoing.once("close", cancel);
  let next = pending;
  for (;;) {
    const { done, value } = await next.catch(() => ({ done: true, value: undefined }));
    if (done || closed) break;
    if (!outgoing.write(value)) await new Promise((resolve) => outgoing.once("drain", resolve).once("close", resolve));
    next = reader.read();
  }
  if (!closed) outgoing.end();
}
