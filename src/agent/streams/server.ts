// The agent's HTTPS endpoint (the kubelet's port 10250) that the API server proxies pods/log, pods/exec,
// pods/attach and pods/portforward to: /containerLogs/NS/POD/CONTAINER, /exec/…, /attach/…, /portForward/…,
// plus /healthz, /pods and /stats/summary (resource usage for metrics.k8s.io). Callers must present a client
// certificate from the cluster's client CA in group system:masters (or CN system:apiserver /
// kube-apiserver-kubelet-client), as the API server's own.

import { existsSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { consola } from "consola";
import type { Pod } from "../../api/types.ts";
import type { CriClient } from "../cri/client.ts";
import type { AgentPaths } from "../paths.ts";
import { podRuntime } from "../pods/runtime.ts";
import { handleExecUpgrade } from "./exec.ts";
import { logStream } from "./logs.ts";
import { handlePortForwardUpgrade, podPortForwardTarget } from "./portforward.ts";
import { statsSummary } from "./stats.ts";
import { ensureServingCert } from "./tls.ts";

const log = consola.withTag("streams");
const ALLOWED_CNS = new Set(["system:apiserver", "kube-apiserver-kubelet-client", "kube-apiserver"]);

export interface StreamingServer {
  port: number;
  setPodLister(list: () => Pod[]): void;
  stop(): Promise<void>;
}

export interface StreamingOptions {
  cri: CriClient;
  /** The socket `cri` talks to (the agent's own containerd, or --container-runtime-endpoint). */
  runtimeEndpoint: string;
  paths: AgentPaths;
  port: number;
  nodeName: string;
  nodeIp: string;
  /** PEM of the CA that signs API server client certificates (default: <dataDir>/server/tls/client-ca.crt). */
  clientCa?: string;
  bindAddress?: string;
}

/** Whether the TLS peer is the API server (or an admin). */
export function peerAllowed(socket: TLSSocket): boolean {
  if (!socket.authorized) return false;
  const subject = socket.getPeerCertificate()?.subject as { CN?: string; O?: string | string[] } | undefined;
  const groups = ([] as string[]).concat(subject?.O ?? []);
  return groups.includes("system:masters") || ALLOWED_CNS.has(subject?.CN ?? "");
}

export interface ContainerTarget {
  pod: Pod;
  containerId: string;
  running: boolean;
  logPath: string;
  sandboxId: string;
}

export async function startStreamingServer(opts: StreamingOptions): Promise<StreamingServer> {
  let listPods: () => Pod[] = () => [];
  const dataDir = join(opts.paths.agentDir, "..");
  const caFile = join(dataDir, "server/tls/client-ca.crt");
  const ca = opts.clientCa ?? (existsSync(caFile) ? readFileSync(caFile, "utf8") : undefined);
  const { cert, key } = await ensureServingCert(opts.paths.tlsDir, [
    opts.nodeName,
    opts.nodeIp,
    "localhost",
    "127.0.0.1",
  ]);

  const findPod = (ns: string, name: string) =>
    listPods().find((p) => p.metadata?.namespace === ns && p.metadata?.name === name);

  /** The container a request names: the current one, or with `previous` the one before it. */
  async function target(
    ns: string,
    podName: string,
    container: string,
    previous: boolean,
  ): Promise<ContainerTarget | string> {
    const pod = findPod(ns, podName);
    if (!pod) return `pod ${ns}/${podName} not found on this node`;
    const rt = await podRuntime(opts.cri, pod.metadata?.uid ?? "");
    const all = rt.containers.get(container) ?? [];
    const current = all.find((c) => c.sandboxId === rt.sandbox?.id) ?? all[0];
    const chosen = previous ? all.find((c) => c !== current) : current;
    if (!chosen)
      return previous
        ? `previous terminated container "${container}" in pod "${podName}" not found`
        : `container "${container}" in pod "${podName}" is not available`;
    return {
      pod,
      containerId: chosen.id,
      running: chosen.state === "CONTAINER_RUNNING",
      logPath: chosen.logPath,
      sandboxId: chosen.sandboxId,
    };
  }

  const fail = (res: ServerResponse, code: number, message: string) => {
    res.writeHead(code, { "content-type": "text/plain" });
    res.end(message);
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "https://agent");
    if (url.pathname === "/healthz") return fail(res, 200, "ok");
    if (!peerAllowed(req.socket as TLSSocket)) return fail(res, 401, "Unauthorized");
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] === "pods" && parts.length === 1) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ apiVersion: "v1", kind: "PodList", metadata: {}, items: listPods() }));
    }
    if (parts[0] === "stats" && parts[1] === "summary") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(await statsSummary(opts.cri, opts.nodeName)));
    }
    if (parts[0] === "containerLogs" && parts.length === 4) {
      const q = url.searchParams;
      const t = await target(parts[1] as string, parts[2] as string, parts[3] as string, q.get("previous") === "true");
      if (typeof t === "string") return fail(res, 404, t);
      const since = q.get("sinceSeconds")
        ? new Date(Date.now() - Number(q.get("sinceSeconds")) * 1000)
        : q.get("sinceTime")
          ? new Date(q.get("sinceTime") as string)
          : undefined;
      const stream = logStream(
        t.logPath,
        {
          follow: q.get("follow") === "true",
          tailLines: q.has("tailLines") ? Number(q.get("tailLines")) : undefined,
          sinceTime: since,
          timestamps: q.get("timestamps") === "true",
          limitBytes: q.has("limitBytes") ? Number(q.get("limitBytes")) : undefined,
        },
        async () =>
          (await opts.cri.containerStatus(t.containerId).catch(() => undefined))?.state === "CONTAINER_RUNNING",
      );
      res.writeHead(200, { "content-type": "text/plain", "transfer-encoding": "chunked" });
      res.flushHeaders();
      const reader = stream.getReader();
      req.on("close", () => reader.cancel().catch(() => {}));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
      return res.end();
    }
    return fail(res, 404, `no handler for ${url.pathname}`);
  }

  const http = createHttpServer((req, res) => {
    onRequest(req, res).catch((err) => {
      log.warn(`${req.method} ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) fail(res, 500, (err as Error).message);
      else res.end();
    });
  });
  http.on("upgrade", (req: IncomingMessage, socket: TLSSocket, head: Buffer) => {
    if (!peerAllowed(socket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const parts = new URL(req.url ?? "/", "https://agent").pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] === "portForward" && parts.length === 3) {
      const pod = findPod(parts[1] as string, parts[2] as string);
      if (!pod?.status?.podIP) {
        socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      // Into the pod's own network namespace (found through the runtime), so 127.0.0.1 listeners are reachable.
      handlePortForwardUpgrade(req, socket, head, podPortForwardTarget(pod, opts.cri, opts.runtimeEndpoint));
      return;
    }
    handleExecUpgrade(req, socket, head, {
      cri: opts.cri,
      containerdAddress: opts.runtimeEndpoint.replace(/^unix:\/\//, ""),
      resolve: (ns, pod, container) => target(ns, pod, container, false),
    }).catch((err) => {
      log.warn(`upgrade ${req.url}: ${(err as Error).message}`);
      socket.destroy();
    });
  });
  const tls = createTlsServer({ cert, key, ca, requestCert: true, rejectUnauthorized: false }, (socket) => {
    http.emit("connection", socket);
  });
  await new Promise<void>((resolve, reject) => {
    tls.once("error", reject);
    tls.listen(opts.port, opts.bindAddress ?? "0.0.0.0", () => resolve());
  });
  const port = (tls.address() as AddressInfo).port;
  log.info(`serving logs/exec/port-forward on :${port}`);
  return {
    port,
    setPodLister(list) {
      listPods = list;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        tls.close(() => resolve());
        http.closeAllConnections?.();
      }),
  };
}
