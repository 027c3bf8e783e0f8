import { afterEach, describe, expect, test } from "bun:test";
import type { Lease } from "../api/types.ts";
import { createClient } from "./client.ts";
import { createFakeCluster } from "./fake.ts";
import { type LeaderElector, startLeaderElection } from "./leaderelection.ts";
import { waitFor } from "./testing.ts";

const electors: LeaderElector[] = [];
afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
});

function candidate(client: ReturnType<typeof createClient>, identity: string, log: string[]) {
  const e = startLeaderElection(client, {
    name: "kube-scheduler",
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 300,
    retryPeriodMs: 20,
    onStartedLeading() {
      log.push(`${identity} started`);
      return { stop: () => void log.push(`${identity} stopped`) };
    },
  });
  electors.push(e);
  return e;
}

describe("leader election", () => {
  test("one leader at a time; a released lease passes at once", async () => {
    const fake = createFakeCluster();
    const log: string[] = [];
    const a = candidate(fake.client, "a", log);
    await waitFor(() => a.isLeader(), "a leads");
    const b = candidate(fake.client, "b", log);
    await Bun.sleep(100);
    expect(b.isLeader()).toBe(false);
    const lease = fake.get("coordination.k8s.io/leases", "kube-system", "kube-scheduler") as Lease;
    expect(lease.spec?.holderIdentity).toBe("a");
    await a.stop();
    await waitFor(() => b.isLeader(), "b takes over");
    expect(log).toEqual(["a started", "a stopped", "b started"]);
  });

  test("a leader that cannot renew steps down, and another takes over after the lease expires", async () => {
    const fake = createFakeCluster();
    let broken = false;
    const flaky = createClient(async (req) => {
      if (broken) throw new Error("connection refused");
      return fake.transport(req);
    });
    const log: string[] = [];
    const a = candidate(flaky, "a", log);
    await waitFor(() => a.isLeader(), "a leads");
    const b = candidate(fake.client, "b", log);
    broken = true;
    await waitFor(() => !a.isLeader(), "a steps down");
    await waitFor(() => b.isLeader(), "b takes over");
    const lease = fake.get("coordination.k8s.io/leases", "kube-system", "kube-scheduler") as Lease;
    expect(lease.spec?.leaseTransitions).toBe(1);
    expect(log).toEqual(["a started", "a stopped", "b started"]);
  });
});
