// `kubectl port-forward` on the agent (protocol portforward.k8s.io over SPDY/3.1): the client opens a pair of
// streams per connection — "error" and "data", tied by `requestid`, naming the `port` — and the agent connects
// to that port on localhost inside the pod's network namespace, as upstream's runtime does (so servers bound to
// 127.0.0.1 in the pod are reachable), and copies bytes both ways. Served over a plain SPDY upgrade (kubectl ≤
// 1.30 and its fallback) and over WebSocket subprotocol SPDY/3.1+portforward.k8s.io (kubectl ≥ 1.31 tunnels SPDY).

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Pod } from "../../api/types.ts";
import type { CriClient } from "../cri/client.ts";
import { networkOfAddress } from "./netns-by-address.ts";
import { createPodDialer, type PodConnection, type PodDialer, type PodNetwork } from "./netns-dial.ts";
import { podSandboxNetwork } from "./sandbox-netns.ts";
import { type ByteChannel, type SpdyStream, serveSpdy } from "./spdy.ts";
import { acceptWebSocket } from "./websocket.ts";

export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
const WS_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** Which pod a session forwards to, and how to find its network for each connection. */
export interface PortForwardTarget {
  /** Names the pod in errors until its sandbox is known. */
  name: string;
  /**
   * The pod's network and the name errors give it (upstream names the sandbox ID). Looked up per connection: a
   * sandbox may be replaced while kubectl keeps forwarding.
   */
  resolve(): Promise<{ network: PodNetwork; name: string }>;
}

/**
 * The target for `pod`: its sandbox's namespace from the runtime (`criEndpoint` is the CRI socket `cri` talks
 * to), else the namespace that holds the pod IP, else the pod IP itself.
 */
export function podPortForwardTarget(pod: Pod, cri?: CriClient, criEndpoint?: string): PortForwardTarget {
  const podIp = pod.status?.podIP ?? "";
  const name = pod.metadata ? `${pod.metadata.namespace}/${pod.metadata.name}` : podIp;
  return {
    name,
    async resolve() {
      const sandbox =
        cri && criEndpoint
          ? await podSandboxNetwork(cri, criEndpoint, pod.metadata?.uid ?? "").catch(() => undefined)
          : undefined;
      if (sandbox) return { network: sandbox.network, name: sandbox.sandboxId };
      return { network: (podIp && networkOfAddress(podIp)) || { kind: "ip", ip: podIp }, name };
    },
  };
}

/** Upstream kubelet's words for a failed forward, sent on the pair's error stream (kubectl prints them). */
const forwardError = (port: number, name: string, reason: string) =>
  `error forwarding port ${port} to pod ${name}, uid : ${reason}`;

function forward(
  target: PortForwardTarget,
  pair: { data: SpdyStream; error: SpdyStream },
  port: number,
  dialer: PodDialer,
): void {
  let done = false;
  let name = target.name;
  const finish = (error?: string) => {
    if (done) return;
    done = true;
    if (error) pair.error.write(Buffer.from(forwardError(port, name, error)));
    pair.data.end();
    pair.error.end();
  };
  // Listen at once: kubectl may send before the pod's network is known.
  let conn: PodConnection | undefined;
  const early: Buffer[] = [];
  let clientEnded = false;
  pair.data.onData((d) => (conn ? conn.write(d) : early.push(d)));
  pair.data.onEnd(() => {
    if (conn) conn.end();
    else clientEnded = true;
  });
  target.resolve().then(
    (found) => {
      name = found.name;
      const c = dialer.dial(found.network, port, name);
      conn = c;
      c.onData((d) => pair.data.write(d));
      c.onClose(finish);
      for (const d of early.splice(0)) c.write(d);
      if (clientEnded) c.end();
    },
    (err: Error) => finish(err.message),
  );
}

function servePortForward(channel: ByteChannel, target: PortForwardTarget): void {
  const pending = new Map<string, { data?: SpdyStream; error?: SpdyStream }>();
  // When kubectl goes away, its connections into the pod (and the relay behind them) go too.
  const dialer = createPodDialer();
  channel.onClose(() => dialer.close());
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
      forward(target, { data: pair.data, error: pair.error }, port, dialer);
    }
  });
}

/**
 * Handles an upgrade to /portForward/NS/POD: answers it (SPDY or WebSocket) and serves the session. A bare pod
 * IP (older callers) finds the pod's namespace from the address alone.
 */
export function handlePortForwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: PortForwardTarget | string,
): void {
  if (typeof target === "string") target = podPortForwardTarget({ status: { podIP: target } });
  const upgrade = String(req.headers.upgrade ?? "").toLowerCase();
  if (upgrade === "websocket") {
    const ws = acceptWebSocket(req.headers, socket, head, [WS_PROTOCOL]);
    if (!ws) return;
    servePortForward(
      { write: (d) => ws.send(d), close: () => ws.close(), onData: ws.onMessage, onClose: ws.onClose },
      target,
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
    target,
  );
}
