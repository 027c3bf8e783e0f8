// kubectl debug end to end: a real `k3lite server`, a joined agent on real containerd and the real kubectl. An
// ephemeral container is added through pods/ephemeralcontainers, runs once in the pod's sandbox sharing the
// target's process namespace, and is reported in status.ephemeralContainerStatuses; `-i` attaches to it.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Pod } from "../src/api/types.ts";
import {
  type AgentFixture,
  busyboxContainer,
  kubectlUntil,
  kubectlWaitRunning,
  podOnNode,
  randomNetwork,
  startJoinedAgent,
} from "./agent-fixture.ts";
import { type K3lite, startK3lite, waitFor } from "./harness.ts";

let k3: K3lite;
let node: AgentFixture;

beforeAll(async () => {
  const network = randomNetwork();
  k3 = await startK3lite({ args: ["--cluster-cidr", network.clusterCidr] });
  node = await startJoinedAgent(k3, "agent-debug", { network, asNode: true });
  const manifest = podOnNode("agent-debug", "dbg-target", [busyboxContainer("app", ["sleep", "3600"])]);
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) })).code).toBe(0);
  await kubectlWaitRunning(k3, "dbg-target");
}, 120_000);

afterAll(async () => {
  await node?.cleanup();
  await k3?.stop();
}, 60_000);

const getPod = async (): Promise<Pod> => {
  const r = await k3.kubectl(["get", "pod", "dbg-target", "-o", "json"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};

const ephemeralStatus = (p: Pod, name: string) => p.status?.ephemeralContainerStatuses?.find((s) => s.name === name);

test("kubectl debug --target runs once in the target's process namespace and reports its status", async () => {
  const r = await k3.kubectl([
    "debug",
    "dbg-target",
    "--image=busybox:1.35",
    "--target=app",
    "--profile=general",
    "-c",
    "debugger",
    "--",
    "sh",
    "-c",
    "echo ok-from-debug; ps",
  ]);
  expect(r.code).toBe(0);
  const done = await waitFor(
    async () => {
      const p = await getPod();
      return ephemeralStatus(p, "debugger")?.state?.terminated && p;
    },
    60_000,
    "debugger terminated",
  );
  const status = ephemeralStatus(done, "debugger");
  expect(status?.state?.terminated?.exitCode).toBe(0);
  expect(status?.containerID).toStartWith("containerd://");
  expect(status?.image).toBe("busybox:1.35");
  expect(status?.imageID).toBeTruthy();
  expect(status?.ready).toBe(false);
  // The target's `sleep 3600` is visible: the PID namespace is the app container's.
  const logs = await kubectlUntil(k3, ["logs", "dbg-target", "-c", "debugger"], /ok-from-debug/);
  expect(logs).toContain("sleep 3600");
  // It ran once: no restart, and the pod's own container was left alone.
  const later = await getPod();
  expect(ephemeralStatus(later, "debugger")?.restartCount ?? 0).toBe(0);
  expect(later.status?.phase).toBe("Running");
  expect(later.status?.containerStatuses?.[0]?.restartCount).toBe(0);
}, 90_000);

test("kubectl debug -i attaches to the ephemeral container's stdin", async () => {
  const r = await k3.kubectl(
    [
      "debug",
      "-i",
      "dbg-target",
      "--image=busybox:1.35",
      "--target=app",
      "--profile=general",
      "-c",
      "shell",
      "--",
      "sh",
    ],
    { stdin: "echo hi-from-$((40+2))\nexit 0\n" },
  );
  expect(r.stdout).toContain("hi-from-42");
  const p = await waitFor(
    async () => {
      const pod = await getPod();
      return ephemeralStatus(pod, "shell")?.state?.terminated && pod;
    },
    60_000,
    "shell terminated",
  );
  expect(ephemeralStatus(p, "shell")?.state?.terminated?.exitCode).toBe(0);
}, 90_000);
