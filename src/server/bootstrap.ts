// What a fresh cluster needs before anything else runs: the four system namespaces, the `kubernetes` Service in
// `default` (first IP of the service CIDR, port 443 → the API server) and the bootstrap RBAC policy. Idempotent:
// existing objects are left alone, so restarts and user changes are kept.

import type { KubeObject } from "../api/types.ts";
import { bootstrapRbacObjects } from "../auth/rbac/bootstrap-policy.ts";
import { isAlreadyExists } from "../client/client.ts";
import { refFor } from "../client/refs.ts";
import type { KubeClient } from "../client/types.ts";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

async function ensure(client: KubeClient, obj: KubeObject): Promise<void> {
  try {
    await client.create(refFor(obj.apiVersion!, obj.kind!, obj.metadata?.namespace), obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

export async function bootstrapCluster(client: KubeClient, opts: { kubernetesServiceIp: string; apiServerPort: number }): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) await ensure(client, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
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
  for (const obj of bootstrapRbacObjects()) await ensure(client, obj);
}
