import { afterEach, describe, expect, test } from "bun:test";
import { createFakeCluster } from "../client/fake.ts";
import { inNamespace, nodes, pods } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import type { LeaderElector } from "../controllers/leaderelection.ts";
import { startLeaderElectedScheduler } from "./leader.ts";
import { makeNode, makePod } from "./testing.ts";

const running: LeaderElector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

describe("leader-elected scheduler", () => {
  test("only the leader schedules; the other takes over when it stops", async () => {
    const fake = createFakeCluster();
    await fake.client.create(nodes, makeNode("n1"));
    const timing = { leaseDurationSeconds: 1, renewDeadlineMs: 300, retryPeriodMs: 20 };
    const a = startLeaderElectedScheduler(fake.client, { identity: "a", ...timing });
    running.push(a);
    await waitFor(() => a.isLeader(), "a leads");
    const b = startLeaderElectedScheduler(fake.client, { identity: "b", ...timing });
    running.push(b);
    const ref = inNamespace(pods, "default");
    await fake.client.create(ref, makePod("first"));
    await waitFor(() => fake.get("/pods", "default", "first")?.spec?.nodeName, "first bound");
    expect(b.isLeader()).toBe(false);
    await a.stop();
    await waitFor(() => b.isLeader(), "b takes over");
    await fake.client.create(ref, makePod("second"));
    await waitFor(() => fake.get("/pods", "default", "second")?.spec?.nodeName, "second bound");
    expect(fake.requests.filter((r) => r.endsWith("/binding")).length).toBe(2);
  });
});
