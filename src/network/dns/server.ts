// The DNS listener: UDP and TCP on one host:port (port 0 picks a free port shared by both), each query handed
// to the resolver. A bad packet or a failing answer never takes the server down.

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, isIPv6, type Server, type Socket } from "node:net";
import { consola } from "consola";
import { createResolver, type ResolverOptions, type Transport } from "./resolve.ts";
import { frame, readFrames } from "./tcp-framing.ts";

const log = consola.withTag("dns");
/** A TCP client that sends nothing for this long is disconnected (RFC 7766 suggests seconds, not minutes). */
const TCP_IDLE_MS = 10_000;
/** Attempts to find a port free for both UDP and TCP when asked for port 0. */
const PORT_ATTEMPTS = 10;

export interface DnsServerOptions extends ResolverOptions {
  host: string;
  port: number;
}

export interface DnsServer {
  port: number;
  close(): Promise<void>;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const resolve = createResolver(opts);
  const answer = async (raw: Buffer, via: Transport, send: (reply: Buffer) => void) => {
    try {
      const reply = await resolve(raw, via);
      if (reply) send(reply);
    } catch (err) {
      log.warn(`answering a ${via} query failed: ${(err as Error)?.message ?? err}`);
    }
  };

  // Open TCP connections, ended on close (a server's close() otherwise waits for idle clients).
  const connections = new Set<Socket>();
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(opts.host, opts.port);
    const port = udp.address().port;
    try {
      const tcp = await listenTcp(opts.host, port, (socket) => {
        connections.add(socket);
        socket.on("close", () => connections.delete(socket));
        socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
        socket.on("error", () => socket.destroy());
        readFrames(socket, (msg) => {
          void answer(Buffer.from(msg), "tcp", (reply) => {
            if (!socket.destroyed) socket.write(frame(reply));
          });
        });
      });
      udp.on("message", (msg, rinfo) => {
        void answer(msg, "udp", (reply) => udp.send(reply, rinfo.port, rinfo.address));
      });
      udp.on("error", (err) => log.warn(`udp ${opts.host}:${port}: ${err.message}`));
      return { port, close: () => closeBoth(udp, tcp, connections) };
    } catch (err) {
      udp.close();
      // Port 0 gave a UDP port whose TCP twin is taken: try another.
      if (opts.port !== 0 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= PORT_ATTEMPTS) {
        throw err;
      }
    }
  }
}

function bindUdp(host: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(host) ? "udp6" : "udp4");
    socket.once("error", reject);
    socket.bind({ address: host, port }, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

function listenTcp(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

async function closeBoth(udp: UdpSocket, tcp: Server, connections: Set<Socket>): Promise<void> {
  await Promise.all([
    new Promise<void>((resolve) => udp.close(() => resolve())),
    new Promise<void>((resolve) => {
      tcp.close(() => resolve());
      for (const socket of connections) socket.destroy();
    }),
  ]);
}
