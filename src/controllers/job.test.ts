import { describe, expect, test } from "bun:test";
import type { Job, Pod } from "../api/types.ts";
import { jobs, pods } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { rfc3339 } from "./clock.ts";
import { startJobController } from "./job.ts";
import { formatIndexes, parseIndexes } from "./job_util.ts";
import { FakeCluster } from "./testing/fake.ts";
import { startTTLAfterFinishedController } from "./ttlafterfinished.ts";

function job(spec: Partial<Job["spec"]> = {}): Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "pi", namespace: "default" },
    spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } }, ...spec },
  };
}

function finish(cluster: FakeCluster, pod: Pod, phase: "Succeeded" | "Failed", exitCode = phase === "Failed" ? 1 : 0) {
  const t = rfc3339(cluster.clock.now());
  cluster.put(pods, {
    ...pod,
    status: {
      phase,
      containerStatuses: [
        {
          name: "c",
          image: "busybox",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, finishedAt: t } },
        },
      ],
    },
  });
}

function setup() {
  const cluster = new FakeCluster();
  const c = startJobController(cluster.context());
  c.run();
  const active = () => cluster.objects<Pod>(pods).filter((p) => !p.status?.phase);
  const theJob = () => cluster.objects<Job>(jobs)[0];
  const condition = (type: string) => theJob().status?.conditions?.find((x) => x.type === type && x.status === "True");
  return { cluster, c, active, theJob, condition };
}

describe("JobController", () => {
  test("index notation", () => {
    expect(formatIndexes([0, 1, 2, 5, 7, 8])).toBe("0-2,5,7,8");
    expect([...parseIndexes("0-2,5")]).toEqual([0, 1, 2, 5]);
  });

  test("runs completions with parallelism and completes", async () => {
    const { cluster, c, active, theJob, condition } = setup();
    cluster.put(jobs, job({ completions: 3, parallelism: 2 }));
    await waitFor(() => active().length === 2, "2 running");
    for (const p of active()) finish(cluster, p, "Succeeded");
    await waitFor(() => active().length === 1, "last one");
    finish(cluster, active()[0], "Succeeded");
    await waitFor(() => condition("Complete"), "Complete");
    expect(theJob().status?.succeeded).toBe(3);
    expect(theJob().status?.completionTime).toBeTruthy();
    expect(cluster.objects<Pod>(pods)).toHaveLength(3);
    await c.stop();
  });

  test("backoffLimit with exponential delay, then Failed", async () => {
    const { cluster, c, active, condition } = setup();
    cluster.put(jobs, job({ backoffLimit: 1 }));
    await waitFor(() => active().length === 1, "first pod");
    finish(cluster, active()[0], "Failed");
    await Bun.sleep(20);
    expect(active()).toHaveLength(0); // waiting out the 10 s backoff
    cluster.clock.step(10_001);
    await waitFor(() => active().length === 1, "retry after backoff");
    finish(cluster, active()[0], "Failed");
    await waitFor(() => condition("Failed"), "Failed");
    expect(condition("Failed")?.reason).toBe("BackoffLimitExceeded");
    await c.stop();
  });

  test("podFailurePolicy FailJob on an exit code", async () => {
    const { cluster, c, active, condition } = setup();
    cluster.put(
      jobs,
      job({
        backoffLimit: 5,
        podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [42] } }] },
      }),
    );
    await waitFor(() => active().length === 1, "pod");
    finish(cluster, active()[0], "Failed", 42);
    await waitFor(() => condition("Failed"), "Failed");
    expect(condition("Failed")?.reason).toBe("PodFailurePolicy");
    expect(condition("Failed")?.message).toContain("exit code 42 matching FailJob rule at index 0");
    await c.stop();
  });

  test("Indexed completion gives each pod its index", async () => {
    const { cluster, c, active, theJob, condition } = setup();
    cluster.put(jobs, job({ completions: 3, parallelism: 3, completionMode: "Indexed" }));
    await waitFor(() => active().length === 3, "3 pods");
    const indexes = active()
      .map((p) => p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"])
      .sort();
    expect(indexes).toEqual(["0", "1", "2"]);
    expect(
      active()
        .map((p) => p.spec?.hostname)
        .sort(),
    ).toEqual(["pi-0", "pi-1", "pi-2"]);
    for (const p of active()) finish(cluster, p, "Succeeded");
    await waitFor(() => condition("Complete"), "Complete");
    expect(theJob().status?.completedIndexes).toBe("0-2");
    await c.stop();
  });

  test("activeDeadlineSeconds fails the Job and removes its pods", async () => {
    const { cluster, c, active, condition } = setup();
    cluster.put(jobs, job({ activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }));
    await waitFor(() => active().length === 2, "2 pods");
    cluster.clock.step(31_000);
    await waitFor(() => condition("Failed"), "Failed");
    expect(condition("Failed")?.reason).toBe("DeadlineExceeded");
    await waitFor(() => active().length === 0, "pods deleted");
    await c.stop();
  });
});

test("ttlSecondsAfterFinished deletes the finished Job", async () => {
  const cluster = new FakeCluster();
  const c = startTTLAfterFinishedController(cluster.context());
  c.run();
  const t = rfc3339(cluster.clock.now());
  cluster.put(jobs, {
    ...job({ ttlSecondsAfterFinished: 60 }),
    status: { conditions: [{ type: "Complete", status: "True", lastTransitionTime: t }] },
  });
  await Bun.sleep(10);
  expect(cluster.objects(jobs)).toHaveLength(1);
  cluster.clock.step(61_000);
  await waitFor(() => cluster.objects(jobs).every((j) => j.metadata?.deletionTimestamp), "job deleted");
  await c.stop();
});
