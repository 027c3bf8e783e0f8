// What the API server does for pods/log, pods/exec, pods/attach and pods/portforward: map the request to the
// agent's own URL on the node's kubelet port, and relay it — a plain HTTPS request for logs, the raw upgraded
// connection (WebSocket or SPDY, bytes copied both ways) for the streaming ones. Kept here, next to the agent
// endpoints it must match; the API server authenticates to the agent with a client certificate from the
// cluster's client CA (group system:masters or CN system:apiserver).

import type { IncomingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import { connect } from "node:tls";

export interface KubeletTarget {
  host: string; // the node's InternalIP
  port: number; // status.daemonEndpoints.kubeletEndpoint.Port
  certPem: string;
  keyPem: string;
}

const BOOL = (v: string | null) => (v === "true" || v === "1" ? "1" : undefined);

/**
 * The agent path for a pod subresource request. `query` is the API request's query: for log it keeps
 * follow/previous/tailLines/sinceSeconds/sinceTime/timestamps/limitBytes; for exec/attach it turns
 * stdin/stdout/stderr/tty into input/output/error/tty and keeps every `command`.
 */
export function kubeletPath(
  subresource: "log" | "exec" | "attach" | "portforward",
  namespace: string,
  pod: string,
  container: string,
  query: URLSearchParams,
): string {
  const enc = encodeURIComponent;
  if (subresource === "portforward") return `/portForward/${enc(namespace)}/${enc(pod)}`;
  const out = new URLSearchParams();
  if (subresource === "log") {
    for (const k of ["follow", "previous", "tailLines", "sinceSeconds", "sinceTime", "timestamps", "limitBytes"]) {
      const v = query.get(k);
      if (v !== null) out.set(k, v);
    }
    return `/containerLogs/${enc(namespace)}/${enc(pod)}/${enc(container)}?${out}`;
  }
  for (const c of query.getAll("command")) out.append("command", c);
  const map: [string, string][] = [
    ["stdin", "input"],
    ["stdout", "output"],
    ["stderr", "error"],
    ["tty", "tty"],
  ];
  for (const [from, to] of map) {
    const v = BOOL(query.get(from));
    if (v) out.set(to, v);
  }
  return `/${subresource}/${enc(namespace)}/${enc(pod)}/${enc(container)}?${out}`;
}

const RELAYED = [
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "x-stream-protocol-version",
];

/** Relays an upgrade request (already authorized by the API server) to the agent, then copies bytes both ways. */
export function proxyUpgradeToKubelet(
  headers: IncomingHttpHeaders,
  client: Duplex,
  head: Buffer,
  target: KubeletTarget,
  path: string,
): void {
  const upstream = connect({
    host: target.host,
    port: target.port,
    cert: target.certPem,
    key: target.keyPem,
    rejectUnauthorized: false, // the agent's serving certificate is self-signed, as the kubelet's by default
    servername: undefined,
  });
  upstream.on("secureConnect", () => {
    let request = `GET ${path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n`;
    for (const name of RELAYED) {
      const v = headers[name];
      if (v !== undefined) request += `${name}: ${Array.isArray(v) ? v.join(", ") : v}\r\n`;
    }
    upstream.write(`${request}\r\n`);
    if (head.length) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.on("error", close);
  client.on("error", close);
  upstream.on("close", () => client.end());
  client.on("close", () => upstream.end());
}

/** Fetches a log from the agent; the body streams (follow). */
export function fetchFromKubelet(target: KubeletTarget, path: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`https://${target.host}:${target.port}${path}`, {
    signal,
    tls: { cert: target.certPem, key: target.keyPem, rejectUnauthorized: false },
  } as RequestInit);
}
