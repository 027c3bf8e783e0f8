// Hollow nodes (like kwok): N Node objects in one process that renew their Leases and report the pods bound to
// them Running/Ready after a delay, without containers. Used by `k3lite agent --runtime fake` / `k3lite sim` to
// test and benchmark the scheduler and controllers at scale. Pods owned by a Job finish after `jobPodRunMs`;
// annotations `hollow.k3lite.io/run-ms` and `hollow.k3lite.io/exit-code` script any pod's end.

import { consola } from "consola";
import type { core, Lease, Node, Pod } from "../api/types.ts";
import { isApiError } from "../client/client.ts";
import { createInformerFactory, type InformerFactory } from "../client/informer.ts";
import { inNamespace, leases, namespaces, nodes, pods } from "../client/refs.ts";
import type { KubeClient } from "../client/types.ts";
import { createWorkQueue } from "../client/workqueue.ts";
import { ipFromIndex, nodeConditions, nodeObject } from "./hollow-node.ts";
import { crashedStatus, finishedStatus, now, restartedStatus, runningStatus } from "./hollow-pod-status.ts";

export interface HollowNodeOptions {
  count: number;
  namePrefix?: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  /** Time from a pod's binding to Running/Ready. */
  readyDelayMs?: number;
  /** How long pods owned by a Job run before they succeed (-1: forever). */
  jobPodRunMs?: number;
  /** First CrashLoopBackOff delay of a failed container with restartPolicy OnFailure (doubles per restart). */
  restartBackoffMs?: number;
  labels?: Record<string, string>;
  taints?: core.Taint[];
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  /** Concurrent API writes for pod status and deletions. */
  workers?: number;
  /** Share informers with other components in the same process. */
  informers?: InformerFactory;
  /** Delete the Node objects on stop (a node leaving the cluster). */
  deleteNodesOnStop?: boolean;
}

export interface HollowNodes {
  nodeNames: string[];
  /** Resolves once every node is registered and the pod cache is synced. */
  ready: Promise<void>;
  /** Stops renewing one node's Lease (the node "dies"); `resumeHeartbeat` brings it back. */
  stopHeartbeat(nodeName: string): void;
  resumeHeartbeat(nodeName: string): void;
  stop(): Promise<void>;
}

export const RUN_MS_ANNOTATION = "hollow.k3lite.io/run-ms";
export const EXIT_CODE_ANNOTATION = "hollow.k3lite.io/exit-code";
const NODE_LEASE_NAMESPACE = "kube-node-lease";
const log = consola.withTag("hollow");

/** RFC 3339 with microseconds, as Lease renewTime (MicroTime) is written. */
const microTime = (ms = Date.now()) => new Date(ms).toISOString().replace("Z", "000Z");

export function startHollowNodes(client: KubeClient, opts: HollowNodeOptions): HollowNodes {
  const prefix = opts.namePrefix ?? "hollow-";
  const nodeNames = Array.from({ length: opts.count }, (_, i) => `${prefix}${i}`);
  const ours = new Set(nodeNames);
  const silenced = new Set<string>();
  const readyDelayMs = opts.readyDelayMs ?? 500;
  const jobPodRunMs = opts.jobPodRunMs ?? 1000;
  const factory = opts.informers ?? createInformerFactory(client);
  const podInformer = factory.informer<Pod>(pods);
  const nodeInformer = factory.informer<Node>(nodes);
  const queue = createWorkQueue();
  const boundAt = new Map<string, number>();
  const podIPs = new Map<string, { ip: string; node?: string; offset?: number }>();
  const usedOffsets = new Map<string, Set<number>>();
  let ipCounter = 0;
  let running = true;
  const timers: ReturnType<typeof setInterval>[] = [];
  const leaseRef = inNamespace(leases, NODE_LEASE_NAMESPACE);
  const nodeUids = new Map<string, string>();

  async function register(name: string, index: number) {
    const node = nodeObject(name, index, opts);
    let created: Node;
    try {
      created = await client.create(nodes, node);
    } catch (err) {
      if (!isApiError(err, 409)) throw err;
      created = await client.get<Node>(nodes, name);
    }
    nodeUids.set(name, created.metadata?.uid ?? "");
    // Status is a subresource: write it explicitly, whatever create kept.
    await client.patch(nodes, name, { status: node.status }, "merge", undefined, "status");
    await renewLease(name);
  }

  async function renewLease(name: string) {
    if (silenced.has(name) || !running) return;
    const renewTime = microTime();
    try {
      await client.patch(leaseRef, name, { spec: { renewTime, holderIdentity: name } }, "merge");
    } catch (err) {
      if (!isApiError(err, 404)) throw err;
      const lease: Lease = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          name,
          namespace: NODE_LEASE_NAMESPACE,
          ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: nodeUids.get(name) ?? "" }],
        },
        spec: { holderIdentity: name, leaseDurationSeconds: opts.leaseDurationSeconds ?? 40, renewTime },
      };
      await client.create(leaseRef, lease);
    }
  }

  /** Re-asserts Ready (e.g. after the node lifecycle controller marked the node Unknown) with fresh heartbeats. */
  async function postNodeStatus(name: string) {
    if (silenced.has(name) || !running) return;
    await client.patch(nodes, name, { status: { conditions: nodeConditions() } }, "merge", undefined, "status");
  }

  /** A pod IP from the node's podCIDR (from .2, as .1 is the bridge) once IPAM assigned one, else a fake range. */
  function allocateIP(key: string, nodeName: string): string {
    const known = podIPs.get(key);
    if (known) return known.ip;
    const cidr = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(
      nodeInformer.getByName(undefined, nodeName)?.spec?.podCIDR ?? "",
    );
    if (cidr) {
      const base = cidr.slice(1, 5).reduce((acc, octet) => acc * 256 + Number(octet), 0);
      const size = 2 ** (32 - Number(cidr[5]));
      const used = usedOffsets.get(nodeName) ?? new Set<number>();
      usedOffsets.set(nodeName, used);
      for (let offset = 2; offset < size - 1; offset++) {
        if (used.has(offset)) continue;
        used.add(offset);
        const n = base + offset;
        const ip = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
        podIPs.set(key, { ip, node: nodeName, offset });
        return ip;
      }
    }
    const ip = ipFromIndex([10, 128], ipCounter++);
    podIPs.set(key, { ip });
    return ip;
  }

  function releaseIP(key: string) {
    const entry = podIPs.get(key);
    if (entry?.node !== undefined && entry.offset !== undefined) usedOffsets.get(entry.node)?.delete(entry.offset);
    podIPs.delete(key);
  }

  function hostIPOf(nodeName: string): string {
    return ipFromIndex([172, 30], nodeNames.indexOf(nodeName));
  }

  /** One pod's next step: confirm its deletion, start it, or finish it. Idempotent; reads only the cache. */
  async function syncPod(key: string) {
    const pod = podInformer.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName || !ours.has(nodeName)) {
      boundAt.delete(key);
      releaseIP(key);
      return;
    }
    const ref = inNamespace(pods, pod.metadata?.namespace);
    const name = pod.metadata?.name as string;
    if (pod.metadata?.deletionTimestamp) {
      // Containers "stop" at once; confirm so the API server removes the object.
      await client
        .delete(ref, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } })
        .catch((err) => {
          if (!isApiError(err, 404, 409)) throw err;
        });
      return;
    }
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") return;
    const since = boundAt.get(key) ?? Date.now();
    boundAt.set(key, since);
    if (phase !== "Running") {
      const wait = since + readyDelayMs - Date.now();
      if (wait > 0) return queue.addAfter(key, wait);
      const hostIP = hostIPOf(nodeName);
      const podIP = pod.spec?.hostNetwork ? hostIP : allocateIP(key, nodeName);
      const status = runningStatus(pod, hostIP, podIP, now());
      await client.patch(ref, name, { status }, "merge", undefined, "status");
      return;
    }
    const first = pod.status?.containerStatuses?.[0];
    if (first?.state?.waiting?.reason === "CrashLoopBackOff") {
      // The kubelet's back-off: base doubling per restart, capped at five minutes.
      const backoff = Math.min(
        300_000,
        (opts.restartBackoffMs ?? 10_000) * 2 ** Math.max(0, (first.restartCount ?? 1) - 1),
      );
      const wait = (Date.parse(first.lastState?.terminated?.finishedAt ?? "") || 0) + backoff - Date.now();
      if (wait > 0) return queue.addAfter(key, wait);
      await client.patch(ref, name, { status: restartedStatus(pod) }, "merge", undefined, "status");
      return;
    }
    const runMs = finishAfter(pod);
    if (runMs < 0) return;
    const runningSince = pod.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? pod.status?.startTime;
    const started = Date.parse(runningSince ?? "") || since;
    const wait = started + runMs - Date.now();
    if (wait > 0) return queue.addAfter(key, wait);
    const exitCode = Number(pod.metadata?.annotations?.[EXIT_CODE_ANNOTATION] ?? 0);
    // restartPolicy OnFailure: the kubelet restarts a failed container in place instead of failing the pod.
    const status =
      exitCode !== 0 && pod.spec?.restartPolicy === "OnFailure"
        ? crashedStatus(pod, exitCode)
        : finishedStatus(pod, exitCode);
    await client.patch(ref, name, { status }, "merge", undefined, "status");
  }

  function finishAfter(pod: Pod): number {
    const annotated = pod.metadata?.annotations?.[RUN_MS_ANNOTATION];
    if (annotated !== undefined) return Number(annotated);
    if (pod.spec?.restartPolicy === "Always") return -1;
    return pod.metadata?.ownerReferences?.some((o) => o.kind === "Job") ? jobPodRunMs : -1;
  }

  const enqueue = (pod: Pod) => {
    if (pod.spec?.nodeName && ours.has(pod.spec.nodeName))
      queue.add(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
  };
  podInformer.addEventHandler({
    add: enqueue,
    update: (_old, pod) => enqueue(pod),
    delete: (pod) => {
      const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      boundAt.delete(key);
      releaseIP(key);
    },
  });

  const ready = (async () => {
    await client
      .create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NODE_LEASE_NAMESPACE } })
      .catch((err) => {
        if (!isApiError(err, 409)) throw err;
      });
    // Register in batches so a thousand nodes do not open a thousand requests at once.
    for (let i = 0; i < nodeNames.length; i += 50) {
      await Promise.all(nodeNames.slice(i, i + 50).map((name, j) => register(name, i + j)));
    }
    factory.start();
    await Promise.all([podInformer.waitForSync(), nodeInformer.waitForSync()]);
    void queue.run(opts.workers ?? 16, syncPod, (key, err) => log.debug(`pod ${key}: ${(err as Error).message}`));
    const each = (fn: (name: string) => Promise<void>) => () => {
      for (const name of nodeNames) fn(name).catch((err) => log.debug(`node ${name}: ${(err as Error).message}`));
    };
    timers.push(setInterval(each(renewLease), opts.renewIntervalMs ?? 10_000));
    timers.push(setInterval(each(postNodeStatus), 60_000));
  })();
  ready.catch((err) => log.error(`hollow nodes failed to start: ${(err as Error).message}`));

  return {
    nodeNames,
    ready,
    stopHeartbeat: (name) => silenced.add(name),
    resumeHeartbeat(name) {
      silenced.delete(name);
      renewLease(name)
        .then(() => postNodeStatus(name))
        .catch((err) => log.debug(`node ${name}: ${(err as Error).message}`));
    },
    async stop() {
      running = false;
      for (const t of timers) clearInterval(t);
      queue.shutDown();
      if (!opts.informers) factory.stop();
      if (opts.deleteNodesOnStop) {
        await Promise.all(nodeNames.map((name) => client.delete(nodes, name).catch(() => {})));
      }
    },
  };
}
