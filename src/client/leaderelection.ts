// Leader election through a coordination.k8s.io Lease (client-go's leaderelection): among processes sharing a
// datastore only the holder of the lease runs a component (scheduler, controller manager). The holder renews the
// lease; others take over once it has not been renewed for leaseDuration, judged by their own clock from when
// they last saw it change (so clocks of different machines need not agree).

import type { Lease } from "../api/types.ts";
import { isApiError } from "./client.ts";
import { inNamespace, leases } from "./refs.ts";
import type { KubeClient } from "./types.ts";

export interface LeaderElectionOptions {
  namespace?: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long (must be < leaseDurationMs). */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Runs while leading; the returned stop is called on losing the lease or on stop(). */
  onStartedLeading(): { stop(): Promise<void> | void };
  onNewLeader?(identity: string): void;
  now?: () => number;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning; a leader stops its component and releases the lease so another can take over at once. */
  stop(): Promise<void>;
}

const microTime = (ms: number) => new Date(ms).toISOString().replace("Z", "000Z");

export function startLeaderElection(client: KubeClient, o: LeaderElectionOptions): LeaderElector {
  const ref = inNamespace(leases, o.namespace ?? "kube-system");
  const leaseDurationMs = o.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = o.retryPeriodMs ?? 2_000;
  const now = o.now ?? Date.now;
  let observed: { holder: string; renewTime: string; at: number } | undefined;
  let leading: { stop(): Promise<void> | void } | undefined;
  let lastRenew = 0;
  let running = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;

  /** One attempt to take or keep the lease; true when we hold it afterwards. */
  async function tryAcquireOrRenew(): Promise<boolean> {
    const t = now();
    const spec = {
      holderIdentity: o.identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      renewTime: microTime(t),
    };
    let current: Lease;
    try {
      current = await client.get<Lease>(ref, o.name);
    } catch (err) {
      if (!isApiError(err, 404)) throw err;
      const lease: Lease = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: o.name, namespace: ref.namespace },
        spec: { ...spec, acquireTime: microTime(t), leaseTransitions: 0 },
      };
      await client.create(ref, lease);
      observe(o.identity, spec.renewTime, t);
      return true;
    }
    const holder = current.spec?.holderIdentity ?? "";
    const renewTime = current.spec?.renewTime ?? "";
    if (!observed || observed.holder !== holder || observed.renewTime !== renewTime) observe(holder, renewTime, t);
    const seenAt = observed?.at ?? t;
    const durationMs = (current.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (holder && holder !== o.identity && seenAt + durationMs > t) return false;
    const takeover = holder !== o.identity;
    const next: Lease = {
      ...current,
      spec: {
        ...current.spec,
        ...spec,
        acquireTime: takeover ? microTime(t) : current.spec?.acquireTime,
        leaseTransitions: (current.spec?.leaseTransitions ?? 0) + (takeover && holder ? 1 : 0),
      },
    };
    await client.update(ref, next); // carries resourceVersion: a concurrent writer makes this a conflict
    observe(o.identity, spec.renewTime, t);
    return true;
  }

  function observe(holder: string, renewTime: string, at: number) {
    const changed = observed?.holder !== holder;
    observed = { holder, renewTime, at };
    if (changed && holder) o.onNewLeader?.(holder);
  }

  async function loseLeadership() {
    const was = leading;
    leading = undefined;
    await was?.stop();
  }

  function sleep(ms: number) {
    return new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms * (leading ? 1 : 1 + Math.random() * 0.2));
    });
  }

  const loop = (async () => {
    while (running) {
      let held = false;
      try {
        held = await tryAcquireOrRenew();
      } catch {
        held = false; // conflicts and network errors count as a failed attempt
      }
      if (!running) break;
      if (held) {
        lastRenew = now();
        if (!leading) leading = o.onStartedLeading();
      } else if (leading && now() - lastRenew > renewDeadlineMs) {
        await loseLeadership();
      } else if (leading && observed && observed.holder !== o.identity) {
        await loseLeadership(); // someone else holds it now
      }
      await sleep(retryPeriodMs);
    }
  })();

  return {
    isLeader: () => leading !== undefined,
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
      if (!leading) return;
      await loseLeadership();
      // Release: an expired, holderless lease lets a successor start without waiting out the duration.
      try {
        const current = await client.get<Lease>(ref, o.name);
        if (current.spec?.holderIdentity === o.identity) {
          await client.update(ref, {
            ...current,
            spec: { ...current.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: microTime(now()) },
          });
        }
      } catch {
        // best effort
      }
    },
  };
}
