// Transport to a remote API server over HTTPS: verifies the server against the cluster CA and authenticates with
// a client certificate and/or a bearer token. Uses Bun's fetch, which presents `tls.cert`/`tls.key`.

import type { Transport } from "./types.ts";

export interface HttpsTransportOptions {
  /** https://HOST:PORT */
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /** Skip server verification (kubeconfig's insecure-skip-tls-verify). */
  insecureSkipTlsVerify?: boolean;
}

export function httpsTransport(opts: HttpsTransportOptions): Transport {
  const base = opts.server.replace(/\/+$/, "");
  const tls = {
    ...(opts.caPem ? { ca: opts.caPem } : {}),
    ...(opts.certPem ? { cert: opts.certPem } : {}),
    ...(opts.keyPem ? { key: opts.keyPem } : {}),
    rejectUnauthorized: !opts.insecureSkipTlsVerify,
  };
  return async (req) => {
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const init: RequestInit & { tls: typeof tls; timeout?: boolean } = {
      method: req.method,
      headers,
      body: hasBody ? await req.arrayBuffer() : undefined,
      signal: req.signal,
      tls,
    };
    // Watches stay open for minutes; Bun's fetch would otherwise end an idle response.
    if (url.searchParams.get("watch") === "true" || url.searchParams.get("follow") === "true") init.timeout = false;
    return fetch(base + url.pathname + url.search, init);
  };
}
