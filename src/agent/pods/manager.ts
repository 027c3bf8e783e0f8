// The pod manager: watches the pods bound to this node (fieldSelector spec.nodeName), runs syncPod for each
// through a work queue, notices container state changes in CRI (a 1 s relist, the kubelet's PLEG), resyncs
// every pod every 10 s (status, configMap/secret updates, token refresh), rotates container logs by size and
// removes sandboxes no pod claims.

import { consola } from "consola";
import type { Pod, Service } from "../../api/types.ts";
import { objectKey, splitKey } from "../../client/cache.ts";
import { createInformer, type Informer } from "../../client/informer.ts";
import { parseQuantity } from "../../client/quantity.ts";
import { inNamespace, pods, services } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import { createWorkQueue, exponentialRateLimiter } from "../../client/workqueue.ts";
import type { AgentConfig } from "../config.ts";
import type { CriClient } from "../cri/client.ts";
import type { Registries } from "../cri/registries.ts";
import type { AgentPaths } from "../paths.ts";
import { Backoff } from "./backoff.ts";
import type { PodContext } from "./context.ts";
import { kubernetesServiceEnv } from "./env.ts";
import { eventRecorder } from "./events.ts";
import { identityOf, MANAGED_BY } from "./labels.ts";
import { rotateLogs } from "./log-rotation.ts";
import { ProbeManager } from "./probes.ts";
import { podRuntime } from "./runtime.ts";
import { sidecarNames } from "./sidecars.ts";
import { statusCache } from "./status-cache.ts";
import { removePod } from "./terminate.ts";
import { tokenSource } from "./tokens.ts";
import { syncPod } from "./worker.ts";

const log = consola.withTag("pods");
const WORKERS = 8;
const RELIST_MS = 1000;
const RESYNC_MS = 10_000;
const GC_MS = 30_000;

export interface PodManager {
  informer: Informer<Pod>;
  /** Resolves once the first list of pods arrived. */
  synced: Promise<void>;
  stop(): Promise<void>;
}

export function startPodManager(opts: {
  client: KubeClient;
  cri: CriClient;
  config: AgentConfig;
  paths: AgentPaths;
  nodeIp: () => string;
  registries?: Registries;
}): PodManager {
  const { client, cri, config } = opts;
  const queue = createWorkQueue(exponentialRateLimiter(200, 30_000));
  const informer = createInformer<Pod>(client, pods, {
    fieldSelector: `spec.nodeName=${config.nodeName}`,
    resyncPeriodMs: RESYNC_MS,
  });
  const uids = new Map<string, { uid: string; name: string; namespace: string }>(); // key → last seen identity
  const livenessFailed = new Map<string, string>();
  let serviceEnv: Record<string, string> = {};
  // Container id → state as last seen by the relist or a sync (the PLEG's record), and when (a read counter).
  const lastStates = new Map<string, { state: string; read: number }>();
  let reads = 0;

  const ctx: PodContext = {
    cri,
    client,
    config,
    paths: opts.paths,
    nodeIp: opts.nodeIp,
    record: eventRecorder(client, config.nodeName),
    tokens: tokenSource(client),
    restartBackoff: new Backoff(),
    pullBackoff: new Backoff(),
    serviceEnv: () => serviceEnv,
    livenessFailed,
    terminating: new Set(),
    registries: opts.registries ?? { mirrors: {}, configs: {} },
    requeue: (key, delayMs) => queue.addAfter(key, delayMs),
    statuses: statusCache(),
    observed: (rt) => {
      const read = ++reads;
      for (const list of rt.containers.values()) for (const c of list) lastStates.set(c.id, { state: c.state, read });
    },
    probes: new ProbeManager(cri, (change) => {
      const pod = informer.list().find((p) => p.metadata?.uid === change.podUid);
      if (!pod) return;
      if (!change.result) {
        const kind = change.kind[0]?.toUpperCase() + change.kind.slice(1);
        ctx.record(
          pod,
          "Warning",
          "Unhealthy",
          `${kind} probe failed: ${change.message}`,
          `spec.${sidecarNames(pod).includes(change.container) ? "initContainers" : "containers"}{${change.container}}`,
        );
        if (change.kind !== "readiness") livenessFailed.set(change.containerId, `failed ${change.kind} probe`);
      }
      queue.add(objectKey(pod));
    }),
  };

  const enqueue = (pod: Pod) => queue.add(objectKey(pod));
  // Like the kubelet's pod config, our own status writes do not trigger a sync; spec, labels, annotations
  // and deletion do (and the 10 s resync, where old === new).
  const relevant = (p: Pod) =>
    JSON.stringify([
      p.spec,
      p.metadata?.labels,
      p.metadata?.annotations,
      p.metadata?.deletionTimestamp,
      p.metadata?.uid,
    ]);
  informer.addEventHandler({
    add: enqueue,
    update: (old, pod) => {
      if (old === pod || relevant(old) !== relevant(pod)) enqueue(pod);
    },
    delete: enqueue,
  });

  // Keys whose sync runs now: the relist leaves their containers to the sync, which records what it saw last.
  const syncing = new Set<string>();
  async function sync(key: string): Promise<void> {
    syncing.add(key);
    try {
      await syncOne(key);
    } finally {
      syncing.delete(key);
    }
  }

  async function syncOne(key: string): Promise<void> {
    const pod = informer.get(key);
    const known = uids.get(key);
    if (known && (!pod || pod.metadata?.uid !== known.uid)) {
      // The pod we ran under this name is gone (or replaced by a new one with the same name).
      await removePod(ctx, known.uid, await podRuntime(cri, known.uid), known);
      ctx.statuses.forget(known.uid);
      uids.delete(key);
    }
    if (!pod) return;
    const { namespace, name } = splitKey(key);
    uids.set(key, { uid: pod.metadata?.uid ?? "", name, namespace });
    await syncPod(ctx, pod, key);
  }

  // PLEG: a container that changed state since the last relist or sync gets its pod synced at once.
  // A sync that read a container after this relist's list began saw it later than the list did: it wins.
  const relist = async () => {
    const read = ++reads;
    const containers = await cri.listContainers();
    const seen = new Set<string>();
    for (const c of containers) {
      seen.add(c.id);
      const id = identityOf(c);
      const key = id && `${id.namespace}/${id.name}`;
      const last = lastStates.get(c.id);
      if (last?.state === c.state || (last && last.read > read) || (key && syncing.has(key))) continue;
      lastStates.set(c.id, { state: c.state, read });
      if (key) queue.add(key);
    }
    // Gone since the list, unless a sync saw it after the list began (it was created meanwhile).
    for (const [id, last] of lastStates) if (!seen.has(id) && last.read < read) lastStates.delete(id);
  };

  // Sandboxes of pods that no longer exist (deleted while the agent was down, or force-deleted).
  const collectGarbage = async () => {
    const live = new Set(informer.list().map((p) => p.metadata?.uid));
    for (const sb of await cri.listPodSandbox()) {
      const id = identityOf(sb);
      if (!id || sb.labels[MANAGED_BY] !== "true" || live.has(id.uid)) continue;
      log.info(`removing sandbox of pod ${id.namespace}/${id.name} (${id.uid}): no such pod`);
      await removePod(ctx, id.uid, await podRuntime(cri, id.uid), id);
    }
  };

  const refreshServiceEnv = async () => {
    try {
      const svc = await client.get<Service>(inNamespace(services, "default"), "kubernetes");
      const port = svc.spec?.ports?.find((p) => p.name === "https")?.port ?? svc.spec?.ports?.[0]?.port ?? 443;
      serviceEnv = kubernetesServiceEnv(svc.spec?.clusterIP, port);
    } catch {}
  };

  const timers: ReturnType<typeof setInterval>[] = [];
  const guard = (what: string, fn: () => Promise<void>) => () => {
    fn().catch((err) => log.debug(`${what}: ${(err as Error).message}`));
  };
  void refreshServiceEnv();
  informer.start();
  const workersDone = queue.run(WORKERS, sync, (key, err) => log.warn(`syncing pod ${key}: ${(err as Error).message}`));
  const synced = informer.waitForSync().then(() => {
    guard("garbage collection", collectGarbage)();
    timers.push(setInterval(guard("garbage collection", collectGarbage), GC_MS));
  });
  timers.push(setInterval(guard("relist", relist), RELIST_MS));
  timers.push(setInterval(guard("kubernetes service", refreshServiceEnv), 30_000));
  const maxLogBytes = parseQuantity(config.containerLogMaxSize || "10Mi");
  timers.push(
    setInterval(
      guard("log rotation", async () => void (await rotateLogs(cri, maxLogBytes))),
      10_000,
    ),
  );

  return {
    informer,
    synced,
    async stop() {
      for (const t of timers) clearInterval(t);
      informer.stop();
      ctx.probes.stopAll();
      queue.shutDown();
      await workersDone;
    },
  };
}
