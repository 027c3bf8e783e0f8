// CronJob and Job controllers on an injectable clock against a real API server with hollow nodes: a CronJob
// fires each time the fake clock passes its schedule, its Jobs run to completion, and history is pruned.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { type HollowNodes, startHollowNodes } from "../src/agent/hollow.ts";
import type { CronJob, Job } from "../src/api/types.ts";
import { cronjobs, inNamespace, jobs } from "../src/client/refs.ts";
import { waitFor } from "../src/client/testing.ts";
import type { KubeClient } from "../src/client/types.ts";
import { FakeClock } from "../src/controllers/clock.ts";
import type { RunningControllers } from "../src/controllers/index.ts";
import { startTestControllers, startTestServer, type TestServer } from "../src/controllers/testing/server.ts";
import { type SchedulerHandle, startScheduler } from "../src/scheduler/scheduler.ts";

let k: TestServer;
let client: KubeClient;
let controllers: RunningControllers;
let scheduler: SchedulerHandle;
let hollow: HollowNodes;
const clock = new FakeClock(Date.now());

beforeAll(async () => {
  k = await startTestServer();
  client = k.client;
  // Node heartbeats run on real time; with minutes passing in steps the node monitor would see silence.
  controllers = startTestControllers(k, {
    clock,
    disable: ["nodelifecycle"],
  });
  scheduler = startScheduler(client);
  hollow = startHollowNodes(client, { count: 2, readyDelayMs: 20, jobPodRunMs: 50 });
  await Promise.all([controllers.ready, scheduler.ready, hollow.ready]);
}, 90_000);

afterAll(async () => {
  await hollow?.stop();
  await scheduler?.stop();
  await controllers?.stop();
  await k?.stop();
});

const listJobs = async () =>
  (await client.list<Job>(inNamespace(jobs, "default"))).items.filter((j) => !j.metadata?.deletionTimestamp);
const complete = (j: Job) => j.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True");

test("a CronJob fires on schedule as the clock moves and keeps successfulJobsHistoryLimit", async () => {
  await k.kubectl("create", "cronjob", "tick", "--image=busybox", "--schedule=*/1 * * * *");
  await k.kubectl("patch", "cronjob", "tick", "--type=merge", "-p", '{"spec":{"successfulJobsHistoryLimit":2}}');
  // The fake clock started at module load, but schedules count from the creationTimestamp (the API server's real
  // time, seconds later): start the clock there, so that each one-minute step passes exactly one schedule time.
  const created = await client.get<CronJob>(inNamespace(cronjobs, "default"), "tick");
  clock.set(Date.parse(created.metadata?.creationTimestamp ?? "") || clock.now());
  await Bun.sleep(50);
  expect(await listJobs()).toHaveLength(0);
  const seen = new Set<string>();
  for (let minute = 1; minute <= 4; minute++) {
    // A little over a minute: the controller wakes 100 ms after each schedule time, so a CronJob created in the
    // first second of a minute (schedule times exactly on the steps) would otherwise wait one step too long.
    clock.step(60_500);
    await waitFor(
      async () => (await listJobs()).some((j) => !seen.has(j.metadata?.name ?? "")),
      `job for minute ${minute}`,
      30_000,
    );
    for (const j of await listJobs()) seen.add(j.metadata?.name ?? "");
    await waitFor(async () => (await listJobs()).every(complete), `jobs of minute ${minute} complete`, 30_000);
    await waitFor(
      async () => !(await client.get<CronJob>(inNamespace(cronjobs, "default"), "tick")).status?.active,
      "no active job",
      30_000,
    );
  }
  expect(seen.size).toBe(4);
  await waitFor(async () => (await listJobs()).length === 2, "history pruned to 2", 30_000);
  const cj = await client.get<CronJob>(inNamespace(cronjobs, "default"), "tick");
  expect(cj.status?.lastSuccessfulTime).toBeTruthy();
  expect(Date.parse(cj.status?.lastScheduleTime ?? "")).toBeLessThanOrEqual(clock.now());
  expect(await k.kubectl("get", "cronjob", "tick")).toContain("*/1 * * * *");
}, 120_000);

test("a Job retries failed pods with backoff until backoffLimit", async () => {
  const manifest = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "flaky", namespace: "default" },
    spec: {
      backoffLimit: 2,
      template: {
        metadata: { annotations: { "hollow.k3lite.io/exit-code": "1", "hollow.k3lite.io/run-ms": "20" } },
        spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] },
      },
    },
  };
  await client.create(inNamespace(jobs, "default"), manifest);
  const job = () => client.get<Job>(inNamespace(jobs, "default"), "flaky");
  await waitFor(async () => (await job()).status?.failed === 1, "first failure", 30_000);
  // Each retry waits out the failure backoff (10 s, then 20 s) on the controllers' clock; stepping it that far
  // lets the next pod start whatever the hollow kubelet wrote as the finish time.
  for (const [delay, failures] of [
    [10_000, 2],
    [20_000, 3],
  ] as const) {
    clock.step(delay);
    await waitFor(async () => (await job()).status?.failed === failures, `${failures} failures`, 30_000);
  }
  await waitFor(async () => (await job()).status?.conditions?.some((c) => c.type === "Failed"), "Failed", 30_000);
  expect((await job()).status?.conditions?.find((c) => c.type === "Failed")?.reason).toBe("BackoffLimitExceeded");
}, 120_000);
