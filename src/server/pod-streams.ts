// pods/log, pods/exec, pods/attach and pods/portforward: the API server authenticates and authorizes the request
// like any other, finds the pod's node and relays to the node agent's kubelet port (src/agent/streams/), using a
// client certificate from the cluster's client CA. Logs are plain requests through the REST router; the
// streaming ones arrive as connection upgrades (WebSocket, or SPDY from older kubectl) on the listener.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import {
  fetchFromKubelet,
  type KubeletTarget,
  kubeletPath,
  proxyUpgradeToKubelet,
} from "../agent/streams/kubelet-proxy.ts";
import type { KubeObject } from "../api/types.ts";
import type { ApiServer } from "../apiserver/app.ts";
import { badRequest, notFound, type StatusError, serviceUnavailable } from "../apiserver/errors.ts";
import { requestInfo } from "../apiserver/request-info.ts";
import { objectKey } from "../apiserver/storage.ts";
import { ensureClientCert } from "../auth/client-certs.ts";
import type { ServerPki } from "../auth/pki.ts";

type StreamSubresource = "log" | "exec" | "attach" | "portforward";
const STREAMS = new Set<string>(["exec", "attach", "portforward"]);

async function getObject(
  api: ApiServer,
  resource: string,
  namespace: string | undefined,
  name: string,
): Promise<KubeObject> {
  const d = api.registry.get("", "v1", resource);
  const kv = d && (await api.storage.store.get(objectKey(d, namespace, name)));
  if (!kv) throw notFound({ group: "", resource }, name);
  return api.storage.decode(kv);
}

/** The identity the API server presents to agents (upstream's apiserver-kubelet-client). */
export const KUBELET_CLIENT_IDENTITY = {
  name: "apiserver-kubelet",
  commonName: "system:apiserver",
  organizations: ["system:masters"],
};

/** Where a node's agent listens (its InternalIP and kubelet port), reached with the API server's client cert. */
export function kubeletTargetOf(node: KubeObject, cert: { certPem: string; keyPem: string }): KubeletTarget {
  const addresses: { type: string; address: string }[] = node.status?.addresses ?? [];
  const host = addresses.find((a) => a.type === "InternalIP")?.address ?? addresses[0]?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!host || !port) throw serviceUnavailable(`node ${node.metadata?.name} has no kubelet endpoint`);
  return { host, port, certPem: cert.certPem, keyPem: cert.keyPem };
}

/** Where the pod's agent listens, and the container a request means (the only one, or ?container=). */
async function locate(
  api: ApiServer,
  cert: { certPem: string; keyPem: string },
  namespace: string,
  podName: string,
  query: URLSearchParams,
) {
  const pod = await getObject(api, "pods", namespace, podName);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
  const target = kubeletTargetOf(await getObject(api, "nodes", undefined, nodeName), cert);
  const containers: { name: string }[] = pod.spec?.containers ?? [];
  const container = query.get("container") || (containers.length === 1 ? containers[0].name : "");
  if (!container) {
    throw badRequest(
      `a container name must be specified for pod ${podName}, choose one of: [${containers.map((c) => c.name).join(" ")}]`,
    );
  }
  return { target, container };
}

function refuse(socket: Duplex, err: StatusError): void {
  const body = JSON.stringify(err.status);
  socket.end(
    `HTTP/1.1 ${err.code} ${err.status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function wirePodStreams(api: ApiServer, pki: ServerPki) {
  const cert = await ensureClientCert(pki, KUBELET_CLIENT_IDENTITY);

  api.subresources.set("pods/log", async (s, name) => {
    const { target, container } = await locate(api, cert, s.namespace ?? "", name, s.query);
    const res = await fetchFromKubelet(
      target,
      kubeletPath("log", s.namespace ?? "", name, container, s.query),
      s.req.signal,
    );
    return new Response(res.body, {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "text/plain" },
    });
  });

  return async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "https://apiserver");
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(url, { method: req.method, headers });
      const user = await api.authenticateRequest(request, { incoming: { socket: socket as TLSSocket } });
      if ("status" in user) return refuse(socket, user);
      const info = requestInfo(req.method ?? "GET", url.pathname, null);
      if (
        info.resource !== "pods" ||
        !info.name ||
        !info.subresource ||
        !STREAMS.has(info.subresource) ||
        info.group !== ""
      ) {
        return refuse(socket, badRequest(`upgrade is not supported for ${url.pathname}`));
      }
      // Upstream requires `create` on the streaming subresources whatever the HTTP method (GET for WebSocket).
      const denied = await api.authorizeRequest(user, { ...info, verb: "create" });
      if (denied) return refuse(socket, denied);
      const sub = info.subresource as StreamSubresource;
      const { target, container } = await locate(api, cert, info.namespace ?? "", info.name, url.searchParams);
      proxyUpgradeToKubelet(
        req.headers,
        socket,
        head,
        target,
        kubeletPath(sub, info.namespace ?? "", info.name, container, url.searchParams),
      );
    } catch (err) {
      const status = err as StatusError;
      if (status?.status) refuse(socket, status);
      else socket.destroy();
    }
  };
}
