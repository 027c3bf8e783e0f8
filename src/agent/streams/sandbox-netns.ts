// The network namespace of a pod sandbox, from CRI PodSandboxStatus with verbose=true: containerd 1.6 answers
// with info["info"], a JSON document whose runtimeSpec.linux.namespaces names the sandbox's netns file (and pid,
// whose /proc/PID/ns/net is the same namespace). The shared CRI client has no verbose call, so this file makes
// that one call itself over the same socket, with the embedded api.proto parsed by protobufjs (no temp file).

import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import protoText from "../cri/api.proto" with { type: "text" };
import type { CriClient } from "../cri/client.ts";
import { POD_UID } from "../pods/labels.ts";

const METHOD = "/runtime.v1.RuntimeService/PodSandboxStatus";

let types: { request: protobuf.Type; response: protobuf.Type } | undefined;
function messageTypes() {
  if (!types) {
    const root = protobuf.parse(protoText, { keepCase: false }).root;
    types = {
      request: root.lookupType("runtime.v1.PodSandboxStatusRequest"),
      response: root.lookupType("runtime.v1.PodSandboxStatusResponse"),
    };
  }
  return types;
}

/** Where a sandbox's network lives: a netns file to enter, or the host's (hostNetwork pods). */
export type SandboxNetwork = { kind: "netns"; path: string } | { kind: "host" };

interface VerboseInfo {
  pid?: number;
  netNamespaceClosed?: boolean;
  runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } };
}

/** Reads the netns from containerd's verbose sandbox info (exported for tests). */
export function networkFromInfo(info: VerboseInfo): SandboxNetwork | undefined {
  const ns = info.runtimeSpec?.linux?.namespaces?.find((n) => n.type === "network");
  // No network namespace in the spec: the sandbox shares the host's (hostNetwork).
  if (info.runtimeSpec?.linux && !ns) return { kind: "host" };
  if (ns?.path) return { kind: "netns", path: ns.path };
  if (info.pid && !info.netNamespaceClosed) return { kind: "netns", path: `/proc/${info.pid}/ns/net` };
  return undefined;
}

/**
 * The network of sandbox `podSandboxId` on the CRI socket `endpoint` (a path or unix:///path); undefined when the
 * runtime does not say (not containerd, or the sandbox is gone).
 */
export async function sandboxNetwork(
  endpoint: string,
  podSandboxId: string,
  timeoutMs = 10_000,
): Promise<SandboxNetwork | undefined> {
  const { request, response } = messageTypes();
  const address = endpoint.startsWith("unix:") ? endpoint : `unix://${endpoint}`;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    const res = await new Promise<{ info?: Record<string, string> }>((resolve, reject) => {
      client.makeUnaryRequest(
        METHOD,
        (req: object) => Buffer.from(request.encode(request.fromObject(req)).finish()),
        (buf: Buffer) => response.toObject(response.decode(buf), { defaults: true }),
        { podSandboxId, verbose: true },
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, value) => (err ? reject(err) : resolve(value as { info?: Record<string, string> })),
      );
    });
    const info = res.info?.info;
    return info ? networkFromInfo(JSON.parse(info) as VerboseInfo) : undefined;
  } catch (err) {
    if ((err as grpc.ServiceError).code === grpc.status.NOT_FOUND) return undefined;
    throw err;
  } finally {
    client.close();
  }
}

/** The network of the pod's newest ready sandbox, or undefined when it has none or the runtime does not say. */
export async function podSandboxNetwork(
  cri: CriClient,
  endpoint: string,
  podUid: string,
): Promise<{ sandboxId: string; network: SandboxNetwork } | undefined> {
  const ready = await cri.listPodSandbox({ state: "SANDBOX_READY", labelSelector: { [POD_UID]: podUid } });
  const newest = ready.sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!newest) return undefined;
  const network = await sandboxNetwork(endpoint, newest.id);
  return network && { sandboxId: newest.id, network };
}
