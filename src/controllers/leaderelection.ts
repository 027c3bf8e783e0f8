// Leader election on a coordination.k8s.io Lease (client-go's leaderelection with a LeaseLock): a candidate
// takes the Lease when it is free or expired, renews it every retry period, and steps down when it cannot
// renew within the renew deadline. Two servers sharing a datastore thus never run the same controllers twice.

import { consola } from "consola";
import type { Lease } from "../api/types.ts";
import { inNamespace, leases as leasesRef } from "../client/refs.ts";
import { ApiError, type KubeClient } from "../client/types.ts";
import { type Clock, realClock, type TimerHandle } from "./clock.ts";

export interface LeaderElectionConfig {
  /** Lease name, e.g. "kube-controller-manager". */
  lockName: string;
  namespace?: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
}

export interface LeaderCallbacks<T> {
  /** Called on becoming leader; what it returns is handed to onStoppedLeading. */
  onStartedLeading(): T | Promise<T>;
  onStoppedLeading(started: T): void | Promise<void>;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning, steps down (releasing the Lease) if leading. */
  stop(): Promise<void>;
}

/** MicroTime as the API stores it: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function runWithLeaderElection<T>(
  client: KubeClient,
  config: LeaderElectionConfig,
  callbacks: LeaderCallbacks<T>,
): LeaderElector {
  const clock = config.clock ?? realClock;
  const namespace = config.namespace ?? "kube-system";
  const ref = inNamespace(leasesRef, namespace);
  const duration = config.leaseDurationSeconds ?? 15;
  const renewDeadline = config.renewDeadlineMs ?? 10_000;
  const retry = config.retryPeriodMs ?? 2_000;
  const log = consola.withTag("leaderelection");
  let leading = false;
  let started: T | undefined;
  let lastRenew = 0;
  let stopped = false;
  let timer: TimerHandle | undefined;
  let chain: Promise<void> = Promise.resolve();

  /** One attempt to take or renew the Lease; true when we hold it afterwards. */
  async function tryAcquireOrRenew(): Promise<boolean> {
    const now = clock.now();
    let lease: Lease | undefined;
    try {
      lease = await client.get<Lease>(ref, config.lockName);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
    const spec = {
      holderIdentity: config.identity,
      leaseDurationSeconds: duration,
      renewTime: microTime(now),
      acquireTime: microTime(now),
      leaseTransitions: 0,
    };
    if (!lease) {
      await client.create<Lease>(ref, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: config.lockName, namespace },
        spec,
      });
      return true;
    }
    const holder = lease.spec?.holderIdentity;
    const renewed = Date.parse(lease.spec?.renewTime ?? "") || 0;
    const expired = renewed + (lease.spec?.leaseDurationSeconds ?? duration) * 1000 < now;
    if (holder && holder !== config.identity && !expired) return false;
    if (holder === config.identity) {
      spec.acquireTime = lease.spec?.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = lease.spec?.leaseTransitions ?? 0;
    } else {
      spec.leaseTransitions = (lease.spec?.leaseTransitions ?? 0) + 1;
    }
    // The resourceVersion makes this a compare-and-swap: two candidates cannot both win.
    await client.update<Lease>(ref, { ...lease, spec });
    return true;
  }

  async function round(): Promise<void> {
    let held = false;
    try {
      held = await tryAcquireOrRenew();
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409))
        log.debug(`lease ${namespace}/${config.lockName}: ${(err as Error).message}`);
    }
    if (stopped) return;
    if (held) {
      lastRenew = clock.now();
      if (!leading) {
        leading = true;
        log.info(`${config.identity} became leader of ${namespace}/${config.lockName}`);
        started = await callbacks.onStartedLeading();
      }
    } else if (leading && clock.now() - lastRenew > renewDeadline) {
      await stepDown();
    }
  }

  async function stepDown(): Promise<void> {
    if (!leading) return;
    leading = false;
    log.info(`${config.identity} stopped leading ${namespace}/${config.lockName}`);
    await callbacks.onStoppedLeading(started as T);
    started = undefined;
  }

  const attempt = () => {
    chain = chain.then(round).finally(() => {
      if (!stopped) timer = clock.after(retry, attempt);
    });
  };
  attempt();

  return {
    isLeader: () => leading,
    async stop() {
      stopped = true;
      timer?.cancel();
      await chain;
      if (!leading) return;
      await stepDown();
      // Release: an empty holder lets another candidate take over at once rather than after expiry.
      try {
        const lease = await client.get<Lease>(ref, config.lockName);
        if (lease.spec?.holderIdentity === config.identity) {
          await client.update(ref, { ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 } });
        }
      } catch {
        // Best effort: the lease expires on its own.
      }
    },
  };
}
