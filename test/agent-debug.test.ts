// kubectl debug end to end: a real `k3lite server`, a joined agent on real containerd and the real kubectl. An
// ephemeral container is added through pods/ephemeralcontainers, runs once in the pod's sandbox sharing the
// target's process namespace, and is reported in status.ephemeralContainerStatuses; `-i` attaches to it.

import { expect, test } from "bun:test";
import type { Pod } from "../src/api/types.ts";
import { busyboxContainer, kubectlUntil, kubectlWaitRunning, podOnNode, useServerWithAgent } from "./agent-fixture.ts";
import { KUBECTL, waitFor } from "./harness.ts";

const { k3 } = useServerWithAgent("agent-debug", async (k3) => {
  const manifest = podOnNode("agent-debug", "dbg-target", [busyboxContainer("app", ["sleep", "3600"])]);
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) })).code).toBe(0);
  await kubectlWaitRunning(k3, "dbg-target");
});

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
 * Runs `kubectl debug -i … -- sh` (with `tty`, `-it` inside `script`, which gives kubectl a terminal) and types
 * `line` (again every half second, as a user would after the prompt) until the output shows `expected`, then
 * `exit 0`. Stdin sent the instant an attach opens can be lost in the relay, so the test does not depend on it.
 */
async function interactiveDebug(
  args: string[],
  line: string,
  expected: string,
  tty = false,
): Promise<{ code: number; out: string }> {
  const kubectl = [KUBECTL, "debug", tty ? "-it" : "-i", ...args, "--", "sh"];
  const argv = tty ? ["script", "-qfec", kubectl.join(" "), "/dev/null"] : kubectl;
  const enter = tty ? "\r" : "\n";
  const p = Bun.spawn(argv, {
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
        p.stdin.write(`${line}${enter}`);
        await p.stdin.flush();
        await Bun.sleep(500);
        return out.includes(expected);
      },
      60_000,
      `kubectl debug printing ${expected}`,
    );
    p.stdin.write(`exit 0${enter}`);
    await p.stdin.flush();
    const code = await p.exited;
    await reading;
    return { code, out };
  } finally {
    p.kill();
  }
}

const waitTerminated = (name: string) =>
  waitFor(
    async () => {
      const pod = await getPod();
      return ephemeralStatus(pod, name)?.state?.terminated;
    },
    60_000,
    `${name} terminated`,
  );

test("kubectl debug -i attaches to the ephemeral container's stdin", async () => {
  const args = ["dbg-target", "--image=busybox:1.35", "--target=app", "--profile=general", "-c", "shell"];
  const r = await interactiveDebug(args, "echo hi-from-$((40+2))", "hi-from-42");
  expect(r.code).toBe(0);
  expect((await waitTerminated("shell")).exitCode).toBe(0);
}, 90_000);

test("kubectl debug -it gives a terminal whose PID 1 is the target's process", async () => {
  const args = ["dbg-target", "--image=busybox:1.35", "--target=app", "--profile=general", "-c", "terminal"];
  // The typed line is echoed back by the terminal: only the shell's expansion prints "pid1=sleep".
  const r = await interactiveDebug(
    args,
    "echo pid1=$(head -c 5 /proc/1/cmdline) tty=$(tty)",
    "pid1=sleep tty=/dev/pts/",
    true,
  );
  expect(r.code).toBe(0);
  expect((await waitTerminated("terminal")).exitCode).toBe(0);
}, 90_000);
