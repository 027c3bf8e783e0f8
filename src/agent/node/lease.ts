// The node heartbeat: a coordination.k8s.io Lease named after the node in kube-node-lease, renewed every
// 10 s (upstream's default). The node lifecycle controller reads renewTime to decide whether a node is alive.

import { consola } from "consola";
import type { Lease, Node } from "../../api/types.ts";
import { isNotFound } from "../../client/client.ts";
import { inNamespace, leases } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";

const log = consola.withTag("lease");
export const LEASE_NAMESPACE = "kube-node-lease";
export const LEASE_DURATION_SECONDS = 40;
export const RENEW_INTERVAL_MS = 10_000;

/** MicroTime as the API serialises it: RFC 3339 with microseconds. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export async function renewLease(client: KubeClient, node: Node): Promise<void> {
  const ref = inNamespace(leases, LEASE_NAMESPACE);
  const name = node.metadata?.name as string;
  const spec = {
    holderIdentity: name,
    leaseDurationSeconds: LEASE_DURATION_SECONDS,
    renewTime: microTime(),
  };
  try {
    await client.patch<Lease>(ref, name, { spec }, "merge");
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.create<Lease>(ref, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name,
        namespace: LEASE_NAMESPACE,
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: node.metadata?.uid as string }],
      },
      spec,
    });
  }
}

/** Renews the lease now and then every 10 s until stopped; failures are logged and retried next period. */
export function startLeaseHeartbeat(client: KubeClient, node: () => Node): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = async () => {
    try {
      await renewLease(client, node());
    } catch (err) {
      log.warn(`renewing lease: ${(err as Error).message}`);
    }
    if (!stopped) timer = setTimeout(tick, RENEW_INTERVAL_MS);
  };
  void tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
