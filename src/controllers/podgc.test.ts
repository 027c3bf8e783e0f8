import { expect, test } from "bun:test";
import type { Node, Pod } from "../api/types.ts";
import { nodes, pods } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startPodGCController } from "./podgc.ts";
import { FakeCluster } from "./testing/fake.ts";

test("pods on a vanished node go after the quarantine; terminated pods beyond the threshold go oldest first", async () => {
  const cluster = new FakeCluster();
  const c = startPodGCController(cluster.context(), { terminatedThreshold: 1, quarantineMs: 40_000, periodMs: 10_000 });
  c.run();
  cluster.put<Node>(nodes, { metadata: { name: "n1" } });
  const pod = (name: string, node: string, phase = "Running", created = "2026-01-01T00:00:00Z"): Pod => ({
    metadata: { name, namespace: "default", creationTimestamp: created },
    spec: { nodeName: node, containers: [] },
    status: { phase },
  });
  cluster.put(pods, pod("on-live", "n1"));
  cluster.put(pods, pod("on-gone", "n2"));
  cluster.put(pods, pod("done-old", "n1", "Succeeded", "2026-01-01T00:00:00Z"));
  cluster.put(pods, pod("done-new", "n1", "Succeeded", "2026-01-01T00:01:00Z"));
  const names = () =>
    cluster
      .objects<Pod>(pods)
      .map((p) => p.metadata?.name)
      .sort()
      .join();
  cluster.clock.step(10_000);
  await waitFor(() => names() === "done-new,on-gone,on-live", "oldest terminated pod deleted");
  cluster.clock.step(40_000);
  await waitFor(() => names() === "done-new,on-live", "orphaned pod deleted after quarantine");
  expect(cluster.actions.filter((a) => a.startsWith("delete"))).toHaveLength(2);
  await c.stop();
});
