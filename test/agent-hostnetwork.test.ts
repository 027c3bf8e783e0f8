// A hostNetwork pod runs on real containerd: it shares the node's network (its IP is the node's) and keeps the
// host's hostname, as with the kubelet (runc refuses a hostname without a private UTS namespace).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createCriClient } from "../src/agent/cri/client.ts";
import type { FakeCluster } from "../src/client/fake.ts";
import { inNamespace, pods } from "../src/client/refs.ts";
import {
  type AgentFixture,
  busyboxContainer,
  podOnNode,
  startFakeClusterAgent,
  waitPodRunning,
} from "./agent-fixture.ts";

let fx: AgentFixture & { fake: FakeCluster };

beforeAll(async () => {
  fx = await startFakeClusterAgent({
    nodeName: "hostnet-node",
    dataDir: mkdtempSync(join(tmpdir(), "k3lite-hostnet-")),
  });
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
}, 60_000);

test("a hostNetwork pod runs with the node's IP and the host's hostname", async () => {
  const pod = podOnNode(fx.config.nodeName, "hostnet", [busyboxContainer("c", ["sleep", "3600"])]);
  pod.spec = { ...pod.spec, containers: pod.spec?.containers ?? [], hostNetwork: true };
  await fx.fake.client.create(inNamespace(pods, "default"), pod);
  const running = await waitPodRunning(fx.fake.client, "hostnet", 60_000);
  expect(running.status?.podIP).toBe(running.status?.hostIP);
  const cri = createCriClient(fx.agent.runtimeEndpoint);
  const out = await cri.execSync(
    running.status?.containerStatuses?.[0]?.containerID?.replace("containerd://", "") ?? "",
    ["hostname"],
    10,
  );
  expect(new TextDecoder().decode(out.stdout).trim()).toBe(hostname());
});
