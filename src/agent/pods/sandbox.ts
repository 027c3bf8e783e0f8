// The pod sandbox: the PodSandboxConfig for a pod (hostname, DNS, hostPort mappings, namespaces, labels,
// annotations, log directory) and finding or creating the sandbox a pod runs in.

import type { Pod } from "../../api/types.ts";
import type { CriClient } from "../cri/client.ts";
import type { PodSandbox, PodSandboxConfig, PortMapping } from "../cri/types.ts";
import { type DnsSettings, podDnsConfig } from "./dns.ts";
import { POD_UID, podIdentity, podLabels, podLogDirectory } from "./labels.ts";

export interface SandboxSettings extends DnsSettings {
  podLogsDir: string;
  nodeName: string;
}

function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if (p.hostPort)
        out.push({
          protocol: (p.protocol ?? "TCP") as PortMapping["protocol"],
          containerPort: p.containerPort,
          hostPort: p.hostPort,
          hostIp: p.hostIP ?? "",
        });
  return out;
}

/** The pod's hostname: spec.hostname (or the pod name), truncated to 63 characters; the node's on hostNetwork. */
export function podHostname(pod: Pod, nodeName: string): string {
  if (pod.spec?.hostNetwork) return nodeName;
  return (pod.spec?.hostname ?? pod.metadata?.name ?? "pod").slice(0, 63).replace(/[-.]+$/, "");
}

export function sandboxConfig(pod: Pod, s: SandboxSettings, attempt: number): PodSandboxConfig {
  const id = podIdentity(pod);
  const spec = pod.spec ?? { containers: [] };
  const sc = spec.securityContext ?? {};
  const annotations: Record<string, string> = { ...(pod.metadata?.annotations ?? {}) };
  return {
    metadata: { name: id.name, namespace: id.namespace, uid: id.uid, attempt },
    // As the kubelet: none on hostNetwork (the host's UTS namespace is shared, and runc refuses to set a hostname).
    ...(spec.hostNetwork ? {} : { hostname: podHostname(pod, s.nodeName) }),
    logDirectory: podLogDirectory(s.podLogsDir, id),
    dnsConfig: podDnsConfig(pod, s),
    portMappings: portMappings(pod),
    labels: { ...(pod.metadata?.labels ?? {}), ...podLabels(id) },
    annotations,
    linux: {
      securityContext: {
        namespaceOptions: {
          network: spec.hostNetwork ? "NODE" : "POD",
          pid: spec.hostPID ? "NODE" : spec.shareProcessNamespace ? "POD" : "CONTAINER",
          ipc: spec.hostIPC ? "NODE" : "POD",
        },
        ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        supplementalGroups: [...(sc.supplementalGroups ?? []), ...(sc.fsGroup !== undefined ? [sc.fsGroup] : [])],
        privileged: (spec.containers ?? []).some((c) => c.securityContext?.privileged),
      },
      sysctls: Object.fromEntries((sc.sysctls ?? []).map((x) => [x.name, x.value])),
    },
  };
}

/** The pod's sandboxes, newest first. */
export async function podSandboxes(cri: CriClient, uid: string): Promise<PodSandbox[]> {
  const list = await cri.listPodSandbox({ labelSelector: { [POD_UID]: uid } });
  return list.sort((a, b) => b.createdAt - a.createdAt);
}
