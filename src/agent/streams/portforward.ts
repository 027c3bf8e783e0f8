// `kubectl port-forward` on the agent (protocol portforward.k8s.io over SPDY/3.1): the client opens a pair of
// streams per connection — "error" and "data", tied by `requestid`, naming the `port` — and the agent connects
// to that port on the pod's IP and copies bytes both ways. Served over a plain SPDY upgrade (kubectl ≤ 1.30 and
// its fallback) and over WebSocket subprotocol SPDY/3.1+portforward.k8s.io (kubectl ≥ 1.31 tunnels SPDY in it).

import type { IncomingMessage } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { type ByteChannel, type SpdyStream, serveSpdy } from "./spdy.ts";
import { acceptWebSocket } from "./websocket.ts";

export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
const WS_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

function forward(podIp: string, pair: { data: SpdyStream; error: SpdyStream }, port: number): void {
  const sock = connect({ host: podIp, port });
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    pair.data.end();
    pair.error.end();
  };
  sock.on("connect", () => {
    pair.data.onData((d) => sock.write(d));
    pair.data.onEnd(() => sock.end());
  });
  sock.on("data", (d: Buffer) => pair.data.write(d));
  sock.on("error", (err) => {
    pair.error.write(Buffer.from(`error forwarding port ${port} to pod ${podIp}: ${err.message}`));
    finish();
  });
  sock.on("close", finish);
}

function servePortForward(channel: ByteChannel, podIp: string): void {
  const pending = new Map<string, { data?: SpdyStream; error?: SpdyStream }>();
  serveSpdy(channel, (stream) => {
    const type = stream.headers.streamtype;
    const port = Number(stream.headers.port);
    const key = stream.headers.requestid ?? stream.headers.port ?? "";
    if ((type !== "data" && type !== "error") || !Number.isInteger(port) || port < 1 || port > 65535) {
      stream.reset();
      return;
    }
    const pair = pending.get(key) ?? {};
    pair[type] = stream;
    pending.set(key, pair);
    if (pair.data && pair.error) {
      pending.delete(key);
      forward(podIp, { data: pair.data, error: pair.error }, port);
    }
  });
}

/** Handles an upgrade to /portForward/NS/POD: answers it (SPDY or WebSocket) and serves the session. */
export function handlePortForwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, podIp: string): void {
  const upgrade = String(req.headers.upgrade ?? "").toLowerCase();
  if (upgrade === "websocket") {
    const ws = acceptWebSocket(req.headers, socket, head, [WS_PROTOCOL]);
    if (!ws) return;
    servePortForward(
      { write: (d) => ws.send(d), close: () => ws.close(), onData: ws.onMessage, onClose: ws.onClose },
      podIp,
    );
    return;
  }
  if (!upgrade.startsWith("spdy/3.1")) {
    socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
  );
  const dataHandlers: ((d: Buffer) => void)[] = [];
  const closeHandlers: (() => void)[] = [];
  socket.on("data", (d: Buffer) => {
    for (const fn of dataHandlers) fn(d);
  });
  socket.on("close", () => {
    for (const fn of closeHandlers) fn();
  });
  socket.on("error", () => socket.destroy());
  servePortForward(
    {
      write: (d) => socket.write(d),
      close: () => socket.end(),
      onData: (fn) => {
        dataHandlers.push(fn);
        if (head.length) fn(head);
      },
      onClose: (fn) => closeHandlers.push(fn),
    },
    podIp,
  );
}
