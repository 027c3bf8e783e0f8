// The far end of port-forwards into a pod's network namespace: `k3lite portforward-relay`, run by the agent under
// `nsenter --net=…`, opens TCP connections to localhost:PORT there — IPv4 first, then IPv6, as containerd does —
// for the connections the agent multiplexes over its stdin/stdout (relay-protocol.ts), until stdin closes.

import { connect, type Socket } from "node:net";
import { encodeFrame, type Frame, FrameType, frameReader } from "./relay-protocol.ts";

/** A TCP connection to host:port, resolved once connected. */
export function dialTcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(sock);
    });
    sock.once("error", reject);
  });
}

// The errno texts Go prints, so that kubectl shows what it shows against upstream.
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ETIMEDOUT: "connection timed out",
  ENETUNREACH: "network is unreachable",
  EADDRNOTAVAIL: "cannot assign requested address",
  ECONNRESET: "connection reset by peer",
};

/** A dial error as Go words it: `dial tcp4 127.0.0.1:80: connect: connection refused`. */
export function dialErrorText(network: "tcp4" | "tcp6", address: string, err: NodeJS.ErrnoException): string {
  const text = ERRNO_TEXT[err.code ?? ""];
  return text ? `dial ${network} ${address}: ${err.syscall ?? "connect"}: ${text}` : err.message;
}

/** Connects to localhost:`port` (127.0.0.1, then ::1); the error says why both failed, in containerd's words. */
export async function dialLocalhost(port: number): Promise<Socket> {
  try {
    return await dialTcp("127.0.0.1", port);
  } catch (v4) {
    try {
      return await dialTcp("::1", port);
    } catch (v6) {
      const e4 = dialErrorText("tcp4", `127.0.0.1:${port}`, v4 as NodeJS.ErrnoException);
      const e6 = dialErrorText("tcp6", `[::1]:${port}`, v6 as NodeJS.ErrnoException);
      throw new Error(`IPv4: ${e4} IPv6 ${e6}`);
    }
  }
}

interface RelayIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
}

interface RelayedConnection {
  sock?: Socket;
  /** What the agent sent before the connection was up. */
  pending: Buffer[];
  ended: boolean;
  closed: boolean;
}

/** Serves the agent's connections over `io` until its stdin closes; resolves when everything is torn down. */
export function serveLocalhostRelay(io: RelayIo = process): Promise<void> {
  const conns = new Map<number, RelayedConnection>();
  const send = (id: number, type: FrameType, payload?: string | Buffer) =>
    io.stdout.write(encodeFrame(id, type, typeof payload === "string" ? Buffer.from(payload) : payload));

  function open(id: number, port: number) {
    const c: RelayedConnection = { pending: [], ended: false, closed: false };
    conns.set(id, c);
    dialLocalhost(port).then(
      (sock) => {
        if (c.closed) return void sock.destroy();
        c.sock = sock;
        let failure = "";
        sock.on("data", (d: Buffer) => send(id, FrameType.DATA, d));
        sock.on("end", () => send(id, FrameType.END));
        sock.on("error", (err) => {
          failure = err.message;
        });
        sock.on("close", () => {
          if (conns.delete(id)) send(id, FrameType.CLOSED, failure);
        });
        for (const d of c.pending.splice(0)) sock.write(d);
        if (c.ended) sock.end();
      },
      (err: Error) => {
        if (conns.delete(id)) send(id, FrameType.REFUSED, err.message);
      },
    );
  }

  function onFrame({ id, type, payload }: Frame) {
    if (type === FrameType.OPEN) return open(id, Number(payload.toString()));
    const c = conns.get(id);
    if (!c) return;
    if (type === FrameType.DATA) {
      if (c.sock) c.sock.write(payload);
      else c.pending.push(payload);
    } else if (type === FrameType.END) {
      if (c.sock) c.sock.end();
      else c.ended = true;
    } else if (type === FrameType.CLOSE) {
      c.closed = true;
      conns.delete(id);
      c.sock?.destroy();
    }
  }

  io.stdin.on("data", frameReader(onFrame));
  return new Promise((resolve) => {
    io.stdin.on("end", () => {
      for (const c of conns.values()) c.sock?.destroy();
      conns.clear();
      io.stdout.end(() => resolve());
    });
  });
}
