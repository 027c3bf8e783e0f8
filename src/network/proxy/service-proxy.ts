// The node's service proxy (kube-proxy's role, iptables mode): watches Services and EndpointSlices through
// shared informers and, a moment after each burst of changes, rewrites the node's Service rules in one
// transaction. One sync at a time; a failed sync is logged and retried with backoff; a periodic resync repairs
// rules someone else flushed. Stopping leaves the rules in place, so traffic keeps flowing across restarts.

import { consola } from "consola";
import type { EndpointSlice, KubeObject, Service } from "../../api/types.ts";
import { createInformerFactory, type InformerFactory } from "../../client/informer.ts";
import { endpointslices, services } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import {
  applyServiceRules,
  enableRouteLocalnet,
  ensureServiceJumps,
  type IptablesOptions,
  listNatChains,
} from "./iptables.ts";
import { buildServiceRules } from "./rules.ts";

export interface ServiceProxyOptions extends IptablesOptions {
  clusterCidr: string;
  nodeName?: string;
  /** Addresses node ports answer on; default: every local address. */
  nodeIps?: string[];
  /** Node ports answer on 127.0.0.1 too (sets net.ipv4.conf.all.route_localnet=1, as kube-proxy does). Default true. */
  localhostNodePorts?: boolean;
  /** Wait after a change before syncing, so a burst (a rollout) becomes one sync. Default 75 ms. */
  debounceMs?: number;
  /** Re-apply everything this often even without changes. Default 60 s. */
  resyncPeriodMs?: number;
  /** Share informers with other components of the process (cluster DNS watches the same collections). */
  informers?: InformerFactory;
}

export interface ServiceProxy {
  /** Resolves once the rules for the first full list of Services and EndpointSlices are in place. */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

const log = consola.withTag("service-proxy");
const MAX_BACKOFF_MS = 30_000;

export function startServiceProxy(client: KubeClient, opts: ServiceProxyOptions): ServiceProxy {
  const debounceMs = opts.debounceMs ?? 75;
  const factory = opts.informers ?? createInformerFactory(client);
  const serviceInformer = factory.informer<Service>(services);
  const sliceInformer = factory.informer<EndpointSlice>(endpointslices);

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let dirty = false;
  // Set after a failure or on the periodic resync: re-apply even if the text is unchanged, re-check the jumps.
  let force = true;
  let lastApplied: string | undefined;
  /** The nat chains the last applied rules left in place. */
  let knownChains: string[] | undefined;
  let backoffMs = 0;
  let markSynced!: () => void;
  const firstSync = new Promise<void>((resolve) => {
    markSynced = resolve;
  });

  function schedule(delayMs = debounceMs) {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (inFlight) {
        dirty = true; // the sync in flight read the caches before this change: run again after it
        return;
      }
      inFlight = sync().finally(() => {
        inFlight = undefined;
        if (dirty) {
          dirty = false;
          schedule();
        }
      });
    }, delayMs);
  }

  async function sync(): Promise<void> {
    if (!serviceInformer.hasSynced() || !sliceInformer.hasSynced()) return; // the initial-sync wait schedules one
    const svcs = serviceInformer.list();
    const slices = sliceInformer.list();
    const localhostNodePorts = opts.localhostNodePorts !== false && !opts.nodeIps?.length;
    const base = { clusterCidr: opts.clusterCidr, nodeIps: opts.nodeIps, nodeName: opts.nodeName, localhostNodePorts };
    try {
      // After a start or a failure the kernel's chains are unknown: read them. Otherwise they are what we left.
      const existingChains = force || !knownChains ? await listNatChains(opts) : knownChains;
      const wanted = buildServiceRules(svcs, slices, { ...base, existingChains });
      if (wanted === lastApplied && !force) return;
      await applyServiceRules(wanted, opts);
      if (force) await ensureServiceJumps(opts);
      // After the guard rule is in place: route_localnet without it would accept forged 127.x packets.
      if (force && localhostNodePorts) await enableRouteLocalnet(opts);
      lastApplied = wanted;
      knownChains = chainsAfter(wanted);
      force = false;
      backoffMs = 0;
      markSynced();
    } catch (err) {
      force = true;
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs ? backoffMs * 2 : 500);
      log.error(`syncing Service rules failed (retrying in ${backoffMs} ms): ${(err as Error).message ?? err}`);
      if (!stopped) retryTimer = setTimeout(() => schedule(0), backoffMs);
    }
  }

  const onChange = {
    add: () => schedule(),
    update: (a: KubeObject, b: KubeObject) => changed(a, b) && schedule(),
    delete: () => schedule(),
  };
  serviceInformer.addEventHandler(onChange);
  sliceInformer.addEventHandler(onChange);
  factory.start();
  const ready = new AbortController();
  factory
    .waitForSync(ready.signal)
    .then(() => schedule(0))
    .catch(() => {});
  const resync = setInterval(() => {
    force = true;
    schedule(0);
  }, opts.resyncPeriodMs ?? 60_000);

  return {
    synced: () => firstSync,
    async stop() {
      stopped = true;
      clearInterval(resync);
      clearTimeout(timer);
      clearTimeout(retryTimer);
      ready.abort();
      if (!opts.informers) factory.stop();
      await inFlight;
    },
  };
}

/** An informer resync hands the same object again: nothing to do. */
function changed(oldObj: KubeObject, newObj: KubeObject): boolean {
  return oldObj.metadata?.resourceVersion !== newObj.metadata?.resourceVersion;
}

/** The nat chains a rules text leaves in place: those it declares, less those it deletes. */
function chainsAfter(rules: string): string[] {
  const nat = rules.slice(0, rules.indexOf("COMMIT"));
  const deleted = new Set([...nat.matchAll(/^-X (\S+)/gm)].map((m) => m[1]));
  return [...nat.matchAll(/^:(\S+)/gm)].map((m) => m[1] as string).filter((c) => !deleted.has(c));
}
