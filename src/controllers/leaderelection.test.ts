import { expect, test } from "bun:test";
import type { Lease } from "../api/types.ts";
import { leases } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { runWithLeaderElection } from "./leaderelection.ts";
import { FakeCluster } from "./testing/fake.ts";

test("only one candidate leads; the other takes over when the leader releases the lease", async () => {
  const cluster = new FakeCluster();
  const clock = cluster.clock;
  const log: string[] = [];
  const candidate = (identity: string) =>
    runWithLeaderElection(
      cluster.client,
      {
        lockName: "controllers",
        identity,
        clock,
        leaseDurationSeconds: 15,
        retryPeriodMs: 2000,
        renewDeadlineMs: 10_000,
      },
      {
        onStartedLeading: () => log.push(`start ${identity}`),
        onStoppedLeading: () => void log.push(`stop ${identity}`),
      },
    );
  const a = candidate("a");
  await waitFor(() => a.isLeader(), "a leads");
  const b = candidate("b");
  for (let i = 0; i < 10; i++) {
    clock.step(2000);
    await Bun.sleep(2);
  }
  expect(b.isLeader()).toBe(false);
  expect(cluster.objects<Lease>(leases)[0].spec?.holderIdentity).toBe("a");

  await a.stop(); // releases the lease
  // b's retry timer is re-armed only after its attempt finishes, which load may delay: keep the clock moving.
  await waitFor(() => b.isLeader() || void clock.step(2000), "b takes over");
  expect(cluster.objects<Lease>(leases)[0].spec?.leaseTransitions).toBe(1);
  expect(log).toEqual(["start a", "stop a", "start b"]);
  await b.stop();
});

test("an expired lease is taken over", async () => {
  const cluster = new FakeCluster();
  cluster.put<Lease>(leases, {
    metadata: { name: "controllers", namespace: "kube-system" },
    spec: { holderIdentity: "ghost", leaseDurationSeconds: 15, renewTime: new Date(cluster.clock.now()).toISOString() },
  });
  const b = runWithLeaderElection(
    cluster.client,
    { lockName: "controllers", identity: "b", clock: cluster.clock },
    { onStartedLeading: () => undefined, onStoppedLeading: () => undefined },
  );
  await Bun.sleep(5);
  expect(b.isLeader()).toBe(false);
  // Past the lease's 15 s; b's retry timer is re-armed only after its attempt finishes, which load may delay.
  await waitFor(() => b.isLeader() || void cluster.clock.step(2000), "b takes the expired lease");
  await b.stop();
});
