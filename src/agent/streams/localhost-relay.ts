// The far end of a port-forward into a pod's network namespace: run (by `k3lite portforward-relay PORT` under
// nsenter) inside that namespace, it connects to localhost:PORT — IPv4 first, then IPv6, as containerd does —
// and copies stdin to the connection and the connection to stdout, half-closes included.

import { connect, type Socket } from "node:net";

/** Exit code when nothing accepts the connection; stderr then carries the reason (RELAY_EXIT.refused). */
export const RELAY_EXIT = { ok: 0, refused: 2, failed: 1 } as const;

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
  stderr: NodeJS.WritableStream;
}

/** Relays `io` to localhost:`port` until both directions end; resolves to the process exit code. */
export async function relayLocalhostPort(port: number, io: RelayIo = process): Promise<number> {
  let sock: Socket;
  try {
    sock = await dialLocalhost(port);
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n`);
    return RELAY_EXIT.refused;
  }
  return new Promise((resolve) => {
    let failure: string | undefined;
    io.stdin.pipe(sock);
    sock.pipe(io.stdout);
    sock.on("error", (err) => {
      failure = err.message;
    });
    sock.on("close", () => {
      io.stdin.unpipe(sock);
      if (failure) io.stderr.write(`${failure}\n`);
      // Exit once stdout has taken everything the pod sent.
      io.stdout.end(() => resolve(failure ? RELAY_EXIT.failed : RELAY_EXIT.ok));
    });
  });
}
