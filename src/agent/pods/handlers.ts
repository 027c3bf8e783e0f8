// Runs a probe or lifecycle-hook action against a container: exec (CRI ExecSync), httpGet (from the node to
// the pod IP, 200–399 is success), tcpSocket (a connection opens) or grpc (probes only: Health/Check answers
// SERVING). Shared by probes and postStart/preStop.

import { connect } from "node:net";
import type { Container, core } from "../../api/types.ts";
import type { CriClient } from "../cri/client.ts";
import { grpcHealthCheck } from "./grpc-probe.ts";

export interface HandlerTarget {
  cri: CriClient;
  containerId: string;
  container: Container;
  podIp: string;
}

export interface HandlerResult {
  ok: boolean;
  message: string;
}

type Action = Pick<core.Probe, "exec" | "httpGet" | "tcpSocket" | "grpc"> & { sleep?: { seconds: number } };

function resolvePort(port: number | string | undefined, c: Container): number {
  if (typeof port === "number") return port;
  if (port && /^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" is not a container port of ${c.name}`);
  return named.containerPort;
}

export async function runHandler(action: Action, t: HandlerTarget, timeoutSeconds: number): Promise<HandlerResult> {
  try {
    if (action.exec) {
      const res = await t.cri.execSync(t.containerId, action.exec.command ?? [], timeoutSeconds);
      const out = `${res.stdout.toString()}${res.stderr.toString()}`.trim();
      return { ok: res.exitCode === 0, message: res.exitCode === 0 ? out : `command exited ${res.exitCode}: ${out}` };
    }
    if (action.httpGet) {
      const g = action.httpGet;
      const port = resolvePort(g.port as number | string, t.container);
      const host = g.host || t.podIp;
      const path = g.path ?? "/";
      const url = `${(g.scheme ?? "HTTP").toLowerCase()}://${host}:${port}${path.startsWith("/") ? path : `/${path}`}`;
      const headers: Record<string, string> = { "user-agent": "kube-probe/1.32" };
      for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
      const res = await fetch(url, {
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutSeconds * 1000),
        tls: { rejectUnauthorized: false },
      } as RequestInit);
      await res.arrayBuffer().catch(() => {});
      const ok = res.status >= 200 && res.status < 400;
      return { ok, message: ok ? "" : `HTTP probe failed with statuscode: ${res.status}` };
    }
    if (action.tcpSocket) {
      const port = resolvePort(action.tcpSocket.port as number | string, t.container);
      const host = action.tcpSocket.host || t.podIp;
      await new Promise<void>((resolve, reject) => {
        const sock = connect({ host, port });
        const timer = setTimeout(() => {
          sock.destroy();
          reject(new Error(`dial tcp ${host}:${port}: i/o timeout`));
        }, timeoutSeconds * 1000);
        sock.once("connect", () => {
          clearTimeout(timer);
          sock.destroy();
          resolve();
        });
        sock.once("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      return { ok: true, message: "" };
    }
    if (action.sleep) {
      await Bun.sleep(action.sleep.seconds * 1000);
      return { ok: true, message: "" };
    }
    if (action.grpc) return await grpcHealthCheck(t.podIp, action.grpc.port, action.grpc.service ?? "", timeoutSeconds);
    return { ok: false, message: "no handler action" };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}
