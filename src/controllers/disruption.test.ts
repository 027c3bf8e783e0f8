import { expect, test } from "bun:test";
import type { core, KubeObject, Pod } from "../api/types.ts";
import { configmaps, poddisruptionbudgets, pods, resourcequotas } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startDisruptionController } from "./disruption.ts";
import { startResourceQuotaController } from "./resourcequota.ts";
import { FakeCluster } from "./testing/fake.ts";

function pod(name: string, ready: boolean, cpu = "100m", memory = "64Mi"): Pod {
  return {
    metadata: { name, namespace: "default", labels: { app: "web" } },
    spec: { containers: [{ name: "c", resources: { requests: { cpu, memory }, limits: { cpu: "1" } } }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  };
}

test("PodDisruptionBudget status counts healthy pods and allowed disruptions", async () => {
  const cluster = new FakeCluster();
  const c = startDisruptionController(cluster.context());
  c.run();
  for (const [n, r] of [
    ["a", true],
    ["b", true],
    ["c", true],
    ["d", false],
  ] as const)
    cluster.put(pods, pod(n, r));
  cluster.put<KubeObject>(poddisruptionbudgets, {
    metadata: { name: "web", namespace: "default" },
    spec: { minAvailable: 2, selector: { matchLabels: { app: "web" } } },
  });
  const status = () => cluster.objects<KubeObject>(poddisruptionbudgets)[0].status;
  await waitFor(() => status()?.disruptionsAllowed === 1, "1 disruption allowed");
  expect(status()).toMatchObject({ currentHealthy: 3, desiredHealthy: 2, expectedPods: 4 });
  expect(status()?.conditions[0]).toMatchObject({
    type: "DisruptionAllowed",
    status: "True",
    reason: "SufficientPods",
  });
  await cluster.client.delete({ ...pods, namespace: "default" }, "a");
  await waitFor(
    () => status()?.disruptionsAllowed === 0 && status()?.conditions[0].reason === "InsufficientPods",
    "none allowed",
  );
  await c.stop();
});

test("ResourceQuota status.used follows pods and objects", async () => {
  const cluster = new FakeCluster();
  const c = startResourceQuotaController(cluster.context());
  c.run();
  cluster.put(pods, pod("a", true, "250m", "128Mi"));
  cluster.put(pods, pod("b", true, "500m", "128Mi"));
  cluster.put(pods, { ...pod("done", true, "4", "1Gi"), status: { phase: "Succeeded" } });
  cluster.put(configmaps, { metadata: { name: "cm", namespace: "default" } });
  cluster.put<core.ResourceQuota>(resourcequotas, {
    metadata: { name: "q", namespace: "default" },
    spec: {
      hard: {
        pods: "10",
        "requests.cpu": "2",
        "requests.memory": "1Gi",
        "limits.cpu": "4",
        configmaps: "5",
        "count/configmaps": "5",
      },
    },
  });
  const used = () => cluster.objects<core.ResourceQuota>(resourcequotas)[0].status?.used;
  await waitFor(() => used()?.pods === "2", "pods counted");
  expect(used()).toEqual({
    pods: "2",
    "requests.cpu": "750m",
    "requests.memory": "256Mi",
    "limits.cpu": "2",
    configmaps: "1",
    "count/configmaps": "1",
  });
  await cluster.client.delete({ ...pods, namespace: "default" }, "b");
  await waitFor(() => used()?.["requests.cpu"] === "250m", "usage drops");
  await c.stop();
});
