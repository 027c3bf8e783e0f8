import { describe, expect, test } from "bun:test";
import type { CronJob, Job } from "../api/types.ts";
import { cronjobs, events, jobs } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { FakeClock, rfc3339 } from "./clock.ts";
import { startCronJobController } from "./cronjob.ts";
import { missedRuns, parseSchedule } from "./cronjob_schedule.ts";
import { FakeCluster } from "./testing/fake.ts";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 30);

function cronJob(spec: Partial<CronJob["spec"]> = {}): CronJob {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "tick", namespace: "default", creationTimestamp: rfc3339(T0) },
    spec: {
      schedule: "*/5 * * * *",
      jobTemplate: {
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
      },
      ...spec,
    },
  };
}

function setup() {
  const cluster = new FakeCluster(new FakeClock(T0));
  const c = startCronJobController(cluster.context());
  c.run();
  const jobNames = () =>
    cluster
      .objects<Job>(jobs)
      .map((j) => j.metadata?.name)
      .sort();
  const finish = (job: Job, type: "Complete" | "Failed") =>
    cluster.put(jobs, {
      ...job,
      status: {
        conditions: [{ type, status: "True", lastTransitionTime: rfc3339(cluster.clock.now()) }],
        completionTime: rfc3339(cluster.clock.now()),
      },
    });
  return { cluster, c, jobNames, finish };
}

describe("CronJob schedules", () => {
  test("missed runs: the most recent one, counted; macros and time zones", () => {
    const cron = parseSchedule("*/5 * * * *");
    expect(missedRuns(cron, T0, T0 + 60_000)).toEqual({ missed: 0, next: Date.UTC(2026, 0, 1, 0, 5) });
    const r = missedRuns(cron, T0, Date.UTC(2026, 0, 1, 0, 17));
    expect(r.mostRecent).toBe(Date.UTC(2026, 0, 1, 0, 15));
    expect(r.missed).toBe(3);
    expect(missedRuns(cron, T0, Date.UTC(2026, 0, 2)).missed).toBe(101);
    expect(parseSchedule("@hourly").nextRun(new Date(T0))?.getTime()).toBe(Date.UTC(2026, 0, 1, 1));
    expect(parseSchedule("0 9 * * *", "Europe/Berlin").nextRun(new Date(T0))?.getTime()).toBe(Date.UTC(2026, 0, 1, 8));
    expect(() => parseSchedule("* * * * * *")).toThrow();
  });
});

describe("CronJobController", () => {
  test("fires on schedule, tracks active jobs and keeps the history limit", async () => {
    const { cluster, c, jobNames, finish } = setup();
    cluster.put(cronjobs, cronJob({ successfulJobsHistoryLimit: 2 }));
    await Bun.sleep(10);
    expect(jobNames()).toEqual([]);
    for (let i = 1; i <= 4; i++) {
      cluster.clock.set(T0 + i * 5 * 60_000);
      await waitFor(() => jobNames().length >= Math.min(i, 3), `run ${i}`);
      const job = cluster.objects<Job>(jobs).find((j) => !j.status?.conditions);
      await waitFor(() => cluster.objects<CronJob>(cronjobs)[0].status?.active?.length === 1, "active tracked");
      if (job) finish(job, "Complete");
      await waitFor(() => !cluster.objects<CronJob>(cronjobs)[0].status?.active, "active cleared");
    }
    await waitFor(() => jobNames().length === 2, "history limited to 2");
    const cj = cluster.objects<CronJob>(cronjobs)[0];
    expect(cj.status?.lastScheduleTime).toBe(rfc3339(T0 + 20 * 60_000 - 30_000));
    expect(cj.status?.lastSuccessfulTime).toBeTruthy();
    expect(jobNames()).toEqual([
      `tick-${(T0 + 15 * 60_000 - 30_000) / 60_000}`,
      `tick-${(T0 + 20 * 60_000 - 30_000) / 60_000}`,
    ]);
    await c.stop();
  });

  test("Forbid skips while a job runs; Replace replaces it; suspend stops everything", async () => {
    const { cluster, c, jobNames } = setup();
    cluster.put(cronjobs, cronJob({ concurrencyPolicy: "Forbid" }));
    cluster.clock.set(T0 + 5 * 60_000);
    await waitFor(() => jobNames().length === 1, "first run");
    cluster.clock.set(T0 + 10 * 60_000);
    await waitFor(() => cluster.objects(events).some((e) => e.reason === "JobAlreadyActive"), "forbid event");
    expect(jobNames()).toHaveLength(1);

    const cj = cluster.objects<CronJob>(cronjobs)[0];
    cluster.put(cronjobs, { ...cj, spec: { ...cj.spec, concurrencyPolicy: "Replace" } as CronJob["spec"] });
    await waitFor(
      () => jobNames().length === 1 && jobNames()[0]?.endsWith(String((T0 + 10 * 60_000 - 30_000) / 60_000)),
      "replaced",
    );

    const cj2 = cluster.objects<CronJob>(cronjobs)[0];
    cluster.put(cronjobs, { ...cj2, spec: { ...cj2.spec, suspend: true } as CronJob["spec"] });
    cluster.clock.set(T0 + 30 * 60_000);
    await Bun.sleep(20);
    expect(jobNames()).toHaveLength(1);
    await c.stop();
  });

  test("after downtime only the latest missed run starts, and none older than startingDeadlineSeconds", async () => {
    const { cluster, c, jobNames } = setup();
    cluster.clock.set(T0 + 3 * 3600_000 + 60_000); // three hours "down", 90 s past a schedule time
    cluster.put(cronjobs, cronJob({ startingDeadlineSeconds: 30 }));
    await waitFor(() => cluster.clock.pending() > 0, "next run armed");
    expect(jobNames()).toEqual([]);
    const cj = cluster.objects<CronJob>(cronjobs)[0];
    cluster.put(cronjobs, { ...cj, spec: { ...cj.spec, startingDeadlineSeconds: 120 } as CronJob["spec"] });
    await waitFor(() => jobNames().length === 1, "one catch-up run");
    expect(jobNames()[0]).toBe(`tick-${(T0 + 3 * 3600_000 - 30_000) / 60_000}`);
    await c.stop();
  });

  test("more than 100 missed times warns, and still starts one job", async () => {
    const { cluster, c, jobNames } = setup();
    cluster.clock.set(T0 + 24 * 3600_000);
    cluster.put(cronjobs, cronJob());
    await waitFor(() => jobNames().length === 1, "one catch-up run");
    await waitFor(() => cluster.objects(events).some((e) => e.reason === "TooManyMissedTimes"), "warning");
    await c.stop();
  });
});

test("an unknown time zone is reported, and nothing runs", async () => {
  const { cluster, c, jobNames } = setup();
  cluster.put(cronjobs, cronJob({ timeZone: "Mars/Olympus_Mons" }));
  await waitFor(() => cluster.objects(events).some((e) => e.reason === "UnknownTimeZone"), "event");
  cluster.clock.set(T0 + 10 * 60_000);
  await Bun.sleep(10);
  expect(jobNames()).toEqual([]);
  await c.stop();
});
