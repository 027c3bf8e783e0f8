import { expect, test } from "bun:test";
import type { apps, core, DaemonSet, Node, Pod } from "../api/types.ts";
import { daemonsets, nodes, pods } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { daemonPodNode, startDaemonSetController } from "./daemonset.ts";
import { FakeCluster } from "./testing/fake.ts";
import { fakeKubelet } from "./testing/kubelet.ts";

function node(name: string, taints?: core.Taint[]): Node {
  return {
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    spec: { taints },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  };
}

function agentDaemonSet(updateStrategy?: apps.DaemonSetUpdateStrategy): DaemonSet {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", namespace: "kube-system" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      updateStrategy,
      template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "c", image: "agent:1" }] } },
    },
  };
}

/** Changes the image, as `kubectl set image` would. */
function setImage(cluster: FakeCluster, image: string) {
  const cur = cluster.objects<DaemonSet>(daemonsets)[0];
  cluster.put(daemonsets, {
    ...cur,
    metadata: { ...cur.metadata, generation: (cur.metadata?.generation ?? 1) + 1 },
    spec: {
      ...cur.spec,
      template: { ...cur.spec?.template, spec: { containers: [{ name: "c", image }] } },
    } as DaemonSet["spec"],
  });
}

test("a DaemonSet follows nodes joining and leaving, skips untolerated taints, and rolls its pods", async () => {
  const cluster = new FakeCluster();
  fakeKubelet(cluster);
  const c = startDaemonSetController(cluster.context());
  c.run();
  cluster.put(nodes, node("n1"));
  cluster.put(nodes, node("n2", [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }]));
  cluster.put(nodes, node("n3", [{ key: "dedicated", value: "db", effect: "NoSchedule" }]));
  cluster.put(daemonsets, agentDaemonSet());
  const podNodes = () => cluster.objects<Pod>(pods).map(daemonPodNode).sort().join();
  const ds = () => cluster.objects<DaemonSet>(daemonsets)[0];
  await waitFor(() => podNodes() === "n1,n2", "pods on n1 and n2 (not-ready tolerated, dedicated not)");
  const pod = cluster.objects<Pod>(pods)[0];
  expect(
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
      .matchFields?.[0].key,
  ).toBe("metadata.name");
  expect(
    pod.spec?.tolerations?.some((t) => t.key === "node.kubernetes.io/unreachable" && t.effect === "NoExecute"),
  ).toBe(true);

  cluster.put(nodes, node("n4"));
  await waitFor(() => podNodes() === "n1,n2,n4", "pod on the new node");
  await cluster.client.delete(nodes, "n1");
  await waitFor(() => podNodes() === "n2,n4", "pod removed with its node");
  await waitFor(() => ds().status?.desiredNumberScheduled === 2 && ds().status?.numberReady === 2, "status");

  setImage(cluster, "agent:2");
  await waitFor(
    () =>
      cluster.objects<Pod>(pods).every((p) => p.spec?.containers[0].image === "agent:2") &&
      ds().status?.updatedNumberScheduled === 2 &&
      ds().status?.numberAvailable === 2,
    "rolled to agent:2",
  );
  expect(podNodes()).toBe("n2,n4");
  await c.stop();
});

test("RollingUpdate with maxSurge starts the new pod before the old one goes", async () => {
  const cluster = new FakeCluster();
  fakeKubelet(cluster);
  const c = startDaemonSetController(cluster.context());
  c.run();
  cluster.put(nodes, node("n1"));
  cluster.put(nodes, node("n2"));
  cluster.put(daemonsets, agentDaemonSet({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
  const ready = () =>
    cluster
      .objects<Pod>(pods)
      .filter((p) => p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True"));
  await waitFor(() => ready().length === 2, "2 ready pods");
  let minReady = 2;
  cluster.informer<Pod>(pods).addEventHandler({ onDelete: () => (minReady = Math.min(minReady, ready().length)) });
  setImage(cluster, "agent:2");
  await waitFor(
    () =>
      cluster.objects<Pod>(pods).length === 2 &&
      cluster.objects<Pod>(pods).every((p) => p.spec?.containers[0].image === "agent:2") &&
      ready().length === 2,
    "rolled with surge",
  );
  expect(minReady).toBeGreaterThanOrEqual(2);
  await c.stop();
});
