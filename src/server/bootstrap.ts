// What a fresh cluster needs before anything else runs: the four system namespaces, the `kubernetes` Service in
// `default` (first IP of the service CIDR, port 443 → the API server), the `kube-dns` Service holding the cluster
// DNS IP, and the bootstrap RBAC policy. Idempotent: existing objects are left alone, so restarts and user changes
// are kept.

import { SERVICE_NAME_LABEL } from "../api/labels.ts";
import type { KubeObject } from "../api/types.ts";
import { SYSTEM_PRIORITY_CLASSES } from "../apiserver/resources/pod-priority.ts";
import { bootstrapRbacObjects } from "../auth/rbac/bootstrap-policy.ts";
import { isAlreadyExists, isNotFound } from "../client/client.ts";
import { refFor } from "../client/refs.ts";
import type { KubeClient } from "../client/types.ts";
import { cidrContains } from "../network/cidr.ts";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

async function ensure(client: KubeClient, obj: KubeObject): Promise<void> {
  const ref = refFor(obj.apiVersion!, obj.kind!, obj.metadata?.namespace);
  // Look first: on a restart a create would fail before AlreadyExists (the Service's fixed clusterIP is taken).
  try {
    await client.get(ref, obj.metadata?.name ?? "");
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await client.create(ref, obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Creates `obj`, or replaces what is stored (keeping its resourceVersion) when it differs. */
async function upsert(client: KubeClient, obj: KubeObject): Promise<void> {
  const ref = refFor(obj.apiVersion ?? "", obj.kind ?? "", obj.metadata?.namespace);
  try {
    await client.create(ref, obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const current = await client.get(ref, obj.metadata?.name ?? "");
    await client.update(ref, {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion },
    });
  }
}

/**
 * The `kubernetes` Service has no selector: as upstream's endpoint reconciler does, the API server itself
 * publishes where it listens (Endpoints and an EndpointSlice), so in-cluster clients reach it through the
 * Service IP.
 */
export async function publishApiServerEndpoints(client: KubeClient, ip: string, port: number): Promise<void> {
  const ports = [{ name: "https", port, protocol: "TCP" }];
  await upsert(client, {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: {
      name: "kubernetes",
      namespace: "default",
      labels: { "endpointslice.kubernetes.io/skip-mirror": "true" },
    },
    subsets: [{ addresses: [{ ip }], ports }],
  });
  await upsert(client, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "kubernetes", namespace: "default", labels: { [SERVICE_NAME_LABEL]: "kubernetes" } },
    addressType: "IPv4",
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports,
  });
}

/**
 * `kube-dns` in kube-system, as k3s's CoreDNS manifest has it: it holds the --cluster-dns IP so no other Service is
 * given it, and shows where pods' DNS goes. It has no selector and no endpoints: every node's agent answers on that
 * IP itself (src/network/dns), and the service proxy leaves Services without endpoints alone.
 */
export function kubeDnsService(clusterDnsIp: string): KubeObject {
  const labels = { "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" };
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kube-dns", namespace: "kube-system", labels },
    spec: {
      type: "ClusterIP",
      clusterIP: clusterDnsIp,
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
      ],
    },
  } as KubeObject;
}

/**
 * The IngressClass of the Ingress routing every node's agent does (src/network/ingress), marked default as k3s
 * marks Traefik's; Ingresses naming `traefik` are served too, so k3s manifests work unchanged.
 */
export const INGRESS_CLASS: KubeObject = {
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: { name: "k3lite", annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } },
  spec: { controller: "k3lite.io/ingress" },
} as KubeObject;

export async function bootstrapCluster(
  client: KubeClient,
  opts: {
    kubernetesServiceIp: string;
    apiServerPort: number;
    clusterDnsIp?: string;
    serviceCidr?: string;
    /** Create the default IngressClass (not when `--disable traefik`). */
    ingressClass?: boolean;
  },
): Promise<void> {
  for (const name of SYSTEM_NAMESPACES)
    await ensure(client, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await ensure(client, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: {
      type: "ClusterIP",
      clusterIP: opts.kubernetesServiceIp,
      sessionAffinity: "None",
      ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: opts.apiServerPort }],
    },
  });
  // A --cluster-dns outside the service range cannot be a Service IP; the agents still answer on it.
  if (opts.clusterDnsIp && opts.serviceCidr && cidrContains(opts.serviceCidr, opts.clusterDnsIp))
    await ensure(client, kubeDnsService(opts.clusterDnsIp));
  if (opts.ingressClass) await ensure(client, INGRESS_CLASS);
  for (const obj of bootstrapRbacObjects()) await ensure(client, obj);
  for (const obj of SYSTEM_PRIORITY_CLASSES) await ensure(client, obj);
}
