// The scheduler and hollow nodes against a real `k3lite server` over HTTPS, driven with the real kubectl. The
// scheduler runs under its own name so it cannot race a scheduler the server may start itself.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type HollowNodes, startHollowNodes } from "../src/agent/hollow.ts";
import { clientFromKubeconfig } from "../src/client/kubeconfig.ts";
import type { KubeClient } from "../src/client/types.ts";
import { type SchedulerHandle, startScheduler } from "../src/scheduler/scheduler.ts";
import { type K3lite, startK3lite, waitFor } from "./harness.ts";

const SCHEDULER = "k3lite-test-scheduler";
let k: K3lite;
let client: KubeClient;
let hollow: HollowNodes;
let scheduler: SchedulerHandle;

beforeAll(async () => {
  k = await startK3lite();
  client = clientFromKubeconfig(k.kubeconfig);
  hollow = startHollowNodes(client, { count: 3, namePrefix: "hollow-", cpu: "2", memory: "4Gi", readyDelayMs: 100 });
  await hollow.ready;
  scheduler = startScheduler(client, { schedulerName: SCHEDULER, initialBackoffMs: 100, maxBackoffMs: 1000 });
  await scheduler.ready;
}, 120_000);

afterAll(async () => {
  await scheduler?.stop();
  await hollow?.stop();
  await k?.stop();
});

function podYaml(name: string, cpu: string, extra = ""): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  schedulerName: ${SCHEDULER}
  containers:
  - name: app
    image: nginx
    resources:
      requests: {cpu: "${cpu}"}
${extra}`;
}

async function kubectl(...args: string[]): Promise<string> {
  const r = await k.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("scheduler with hollow nodes on a real server", () => {
  test("kubectl get nodes lists the hollow nodes as Ready", async () => {
    const out = await waitFor(
      async () => {
        const text = await kubectl("get", "nodes", "--no-headers");
        return text.split("\n").filter((l) => /\sReady\s/.test(l)).length === 3 ? text : undefined;
      },
      30_000,
      "3 Ready nodes",
    );
    expect(out).toContain("hollow-0");
  });

  test("a pod is scheduled, bound and Running", async () => {
    const r = await k.kubectl(["apply", "-f", "-"], { stdin: podYaml("web", "500m") });
    expect(r.stderr).toBe("");
    const phase = await waitFor(
      async () => {
        const p = await kubectl("get", "pod", "web", "-o", "jsonpath={.spec.nodeName} {.status.phase} {.status.podIP}");
        return /^hollow-\d Running \d+\.\d+\.\d+\.\d+$/.test(p) ? p : undefined;
      },
      30_000,
      "web Running",
    );
    expect(phase).toMatch(/^hollow-/);
    const events = await waitFor(
      async () => {
        const text = await kubectl(
          "get",
          "events",
          "--field-selector",
          "involvedObject.name=web",
          "-o",
          "jsonpath={.items[*].reason}",
        );
        return text.includes("Scheduled") ? text : undefined;
      },
      30_000,
      "Scheduled event",
    );
    expect(events).toContain("Scheduled");
  });

  test("an unschedulable pod shows upstream's message in kubectl describe", async () => {
    const r = await k.kubectl(["apply", "-f", "-"], { stdin: podYaml("huge", "64") });
    expect(r.code).toBe(0);
    const message =
      "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    const condition = await waitFor(
      async () => {
        const m = await kubectl(
          "get",
          "pod",
          "huge",
          "-o",
          'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}',
        );
        return m === message ? m : undefined;
      },
      30_000,
      "PodScheduled message",
    );
    expect(condition).toBe(message);
    const described = await waitFor(
      async () => {
        const text = await kubectl("describe", "pod", "huge");
        return text.includes("FailedScheduling") ? text : undefined;
      },
      30_000,
      "FailedScheduling in describe",
    );
    expect(described).toContain(message.slice(0, 60));

    // Room appears when the pod asks for less: the scheduler retries an unschedulable pod whose spec changes,
    // but requests are immutable, so free capacity instead by adding a bigger hollow node.
    const big = startHollowNodes(client, { count: 1, namePrefix: "big-", cpu: "128", readyDelayMs: 0 });
    try {
      await big.ready;
      await waitFor(
        async () => (await kubectl("get", "pod", "huge", "-o", "jsonpath={.spec.nodeName}")) === "big-0",
        30_000,
        "huge bound to big-0",
      );
    } finally {
      await big.stop();
    }
  });
});
