import { expect, test } from "bun:test";
import type { Lease, Node, Pod } from "../api/types.ts";
import { leases, nodes, pods } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { rfc3339 } from "./clock.ts";
import { startNodeLifecycleController } from "./nodelifecycle.ts";
import { FakeCluster } from "./testing/fake.ts";

function pod(name: string, tolerationSeconds?: number | null): Pod {
  const tolerations =
    tolerationSeconds === undefined
      ? undefined
      : [
          {
            key: "node.kubernetes.io/unreachable",
            operator: "Exists",
            effect: "NoExecute",
            ...(tolerationSeconds === null ? {} : { tolerationSeconds }),
          },
        ];
  return {
    metadata: { name, namespace: "default" },
    spec: { nodeName: "n1", containers: [], tolerations },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  };
}

test("a node whose lease stops goes Unknown, is tainted, and its pods are evicted after tolerationSeconds", async () => {
  const cluster = new FakeCluster();
  const clock = cluster.clock;
  const c = startNodeLifecycleController(cluster.context(), { gracePeriodMs: 40_000, monitorPeriodMs: 5_000 });
  c.run();
  cluster.put<Node>(nodes, {
    metadata: { name: "n1" },
    status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: rfc3339(clock.now()) }] },
  });
  // A second, healthy node: with every node down the controller would suspect itself and evict nothing.
  cluster.put<Node>(nodes, {
    metadata: { name: "n2" },
    status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: rfc3339(clock.now()) }] },
  });
  const renewN2 = () =>
    cluster.put<Lease>(leases, {
      metadata: { name: "n2", namespace: "kube-node-lease" },
      spec: { holderIdentity: "n2", renewTime: new Date(clock.now()).toISOString() },
    });
  const step = async (ms: number) => {
    for (let left = ms; left > 0; left -= 10_000) {
      clock.step(Math.min(10_000, left));
      renewN2();
      await Bun.sleep(1);
    }
  };
  const renew = () =>
    cluster.put<Lease>(leases, {
      metadata: { name: "n1", namespace: "kube-node-lease" },
      spec: { holderIdentity: "n1", renewTime: new Date(clock.now()).toISOString() },
    });
  renew();
  cluster.put(pods, pod("plain"));
  cluster.put(pods, pod("ten", 10));
  cluster.put(pods, pod("forever", null));
  const node = () => cluster.objects<Node>(nodes).find((n) => n.metadata?.name === "n1") as Node;
  const ready = () => node().status?.conditions?.find((x) => x.type === "Ready")?.status;
  const podNames = () =>
    cluster
      .objects<Pod>(pods)
      .map((p) => p.metadata?.name)
      .sort()
      .join();

  // Renewing every 10 s keeps it Ready through a minute.
  for (let i = 0; i < 6; i++) {
    await step(10_000);
    renew();
    await Bun.sleep(1);
  }
  expect(ready()).toBe("True");

  // The grace period runs from when the controller saw the last renewal, which a loaded machine may delay:
  // step past 40 s, then a second at a time until the node goes Unknown.
  await step(40_000);
  await waitFor(async () => {
    if (ready() === "Unknown") return true;
    await step(1_000);
    return false;
  }, "Ready=Unknown");
  await waitFor(
    () => node().spec?.taints?.some((t) => t.key === "node.kubernetes.io/unreachable" && t.effect === "NoExecute"),
    "unreachable taint",
  );
  await waitFor(
    () => cluster.objects<Pod>(pods).every((p) => p.status?.conditions?.[0].status === "False"),
    "pods not ready",
  );
  expect(podNames()).toBe("forever,plain,ten");

  await step(11_000);
  await waitFor(() => podNames() === "forever,plain", "10 s toleration evicted");
  await step(290_000);
  await waitFor(() => podNames() === "forever", "default 300 s toleration evicted");

  // The kubelet comes back: Ready again, taints gone.
  cluster.put<Node>(nodes, {
    ...node(),
    status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: rfc3339(clock.now()) }] },
  });
  await waitFor(() => !node().spec?.taints?.length, "taints removed");
  await c.stop();
});

test("with every node down nothing is evicted (full disruption)", async () => {
  const cluster = new FakeCluster();
  const c = startNodeLifecycleController(cluster.context(), { gracePeriodMs: 40_000, monitorPeriodMs: 5_000 });
  c.run();
  cluster.put<Node>(nodes, { metadata: { name: "n1" }, status: { conditions: [{ type: "Ready", status: "True" }] } });
  cluster.put(pods, pod("plain"));
  // The controller's first look at the node starts its grace period, and when that look happens depends on the
  // machine's load: keep the clock moving until the node goes Unknown.
  await waitFor(() => {
    if (cluster.objects<Node>(nodes)[0].status?.conditions?.[0].status === "Unknown") return true;
    cluster.clock.step(5_000);
    return false;
  }, "Unknown");
  cluster.clock.step(400_000);
  await Bun.sleep(20);
  expect(cluster.objects(pods)).toHaveLength(1);
  expect(cluster.objects<Node>(nodes)[0].spec?.taints?.map((t) => t.effect)).toEqual(["NoSchedule"]);
  await c.stop();
});
