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
import { type K3lite, KUBECTL, startK3lite, waitFor } from "./harness.ts";

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

/**
 * Runs `kubectl debug -i … -- sh` and types `line` (again every half second, as a user would after the prompt)
 * until its output shows `expect`, then `exit 0`. Stdin sent the instant the attach opens can be lost in the
 * relay, so the test does not depend on it.
 */
async function interactiveDebug(
  args: string[],
  line: string,
  expected: string,
): Promise<{ code: number; out: string }> {
  const p = Bun.spawn([KUBECTL, "debug", "-i", ...args, "--", "sh"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, KUBECONFIG: k3.kubeconfig },
  });
  let out = "";
  const reading = (async () => {
    const reader = p.stdout.getReader();
    const text = new TextDecoder();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += text.decode(r.value, { stream: true });
  })();
  void new Response(p.stderr).text();
  try {
    await waitFor(
      async () => {
        if (out.includes(expected)) return true;
        p.stdin.write(`${line}\n`);
        await p.stdin.flush();
        await Bun.sleep(500);
        return out.includes(expected);
      },
      60_000,
      `kubectl debug -i printing ${expected}`,
    );
    p.stdin.write("exit 0\n");
    await p.stdin.end();
    const code = await p.exited;
    await reading;
    return { code, out };
  } finally {
    p.kill();
  }
}

test("kubectl debug -i attaches to the ephemeral container's stdin", async () => {
  const args = ["dbg-target", "--image=busybox:1.35", "--target=app", "--profile=general", "-c", "shell"];
  const r = await interactiveDebug(args, "echo hi-from-$((40+2))", "hi-from-42");
  expect(r.code).toBe(0);
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
