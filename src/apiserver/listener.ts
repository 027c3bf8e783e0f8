// The HTTPS listener: node:tls (the only server in Bun that exposes the verified client certificate) feeding a
// node:http server, which runs the Hono app through our own adapter (node-adapter.ts). Client certificates are requested but not
// required, so anonymous health checks and bearer tokens still work; the app decides per request.

import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { type FastPath, requestListener } from "./node-adapter.ts";

export interface HttpsListenerOptions {
  // biome-ignore lint/suspicious/noExplicitAny: Hono apps type their env bindings precisely
  fetch: (req: Request, env: any) => Response | Promise<Response>;
  /** Requests it takes skip the fetch handler (see FastPath). */
  fast?: FastPath;
  certPem: string;
  keyPem: string;
  /** CA bundle client certificates are verified against. */
  clientCaPem: string;
  host: string;
  port: number;
  /** Connection upgrades (exec/attach/port-forward over WebSocket or SPDY); without it they are refused. */
  onUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface HttpsListener {
  port: number;
  /** Serve a renewed certificate to new connections (open ones keep the one they negotiated). */
  setServingCertificate(certPem: string, keyPem: string): void;
  close(): Promise<void>;
}

export async function listenHttps(opts: HttpsListenerOptions): Promise<HttpsListener> {
  const http = createHttpServer(requestListener(opts.fetch, opts.fast));
  // Watches are long-lived; node's defaults would cut them (requestTimeout) or idle keep-alive connections early.
  http.requestTimeout = 0;
  http.headersTimeout = 60_000;
  http.keepAliveTimeout = 120_000;
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (opts.onUpgrade) opts.onUpgrade(req, socket, head);
    else socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  const sockets = new Set<TLSSocket>();
  const tls = createTlsServer(
    { cert: opts.certPem, key: opts.keyPem, ca: opts.clientCaPem, requestCert: true, rejectUnauthorized: false },
    (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      http.emit("connection", socket);
    },
  );
  tls.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    tls.once("error", reject);
    tls.listen(opts.port, opts.host, () => {
      tls.off("error", reject);
      resolve();
    });
  });
  return {
    port: (tls.address() as AddressInfo).port,
    setServingCertificate: (certPem, keyPem) =>
      tls.setSecureContext({ cert: certPem, key: keyPem, ca: opts.clientCaPem }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        http.close();
        tls.close(() => resolve());
      }),
  };
}
