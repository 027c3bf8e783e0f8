// The CRI client against our own supervised containerd: version, images, a sandbox with a pod IP reachable
// from the host, a busybox container with logs and ExecSync, stop/remove, and supervision (restart after a crash).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createCriClient } from "../src/agent/cri/client.ts";
import { startContainerd } from "../src/agent/cri/containerd.ts";
import type { PodSandboxConfig } from "../src/agent/cri/types.ts";
import { poll } from "../src/agent/wait.ts";
import { cidrContains } from "../src/network/cidr.ts";
import { BUSYBOX, type ContainerdFixture, startContainerdFixture } from "./agent-fixture.ts";

let fx: ContainerdFixture;
beforeAll(async () => {
  fx = await startContainerdFixture();
}, 60_000);
afterAll(async () => {
  await fx?.cleanup();
}, 60_000);

test("Version and images through CRI", async () => {
  const v = await fx.cri.version();
  expect(v.runtimeName).toBe("containerd");
  expect(v.runtimeApiVersion).toBe("v1");
  const tags = (await fx.cri.listImages()).flatMap((i) => i.repoTags);
  expect(tags).toContain("docker.io/k3lite/pause:1.0");
  expect(tags).toContain(BUSYBOX);
  expect(await fx.cri.imageStatus("busybox:1.35")).not.toBeNull();
  expect(await fx.cri.imageStatus("docker.io/library/nope:1")).toBeNull();
});

test("a sandbox and a busybox httpd container: pod IP serves from the host, logs, ExecSync", async () => {
  const logDirectory = join(fx.dataDir, "logs/default_web_uid1");
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: "web", namespace: "default", uid: "uid1", attempt: 0 },
    hostname: "web",
    logDirectory,
    labels: { "io.kubernetes.pod.name": "web" },
  };
  const sandboxId = await fx.cri.runPodSandbox(sandboxConfig);
  const status = await fx.cri.podSandboxStatus(sandboxId);
  expect(status.state).toBe("SANDBOX_READY");
  const ip = status.network?.ip ?? "";
  expect(cidrContains(fx.clusterCidr, ip)).toBe(true);

  const containerId = await fx.cri.createContainer(
    sandboxId,
    {
      metadata: { name: "httpd", attempt: 0 },
      image: { image: BUSYBOX },
      command: [
        "sh",
        "-c",
        "echo hello-from-log; mkdir -p /www; echo page > /www/index.html; exec httpd -f -p 8080 -h /www",
      ],
      logPath: "httpd/0.log",
    },
    sandboxConfig,
  );
  await fx.cri.startContainer(containerId);
  expect((await fx.cri.containerStatus(containerId)).state).toBe("CONTAINER_RUNNING");

  const body = await poll(
    "httpd to answer",
    async () => (await fetch(`http://${ip}:8080/`, { signal: AbortSignal.timeout(3000) })).text(),
    {
      timeoutMs: 20_000,
    },
  );
  expect(body).toBe("page\n");
  const log = await poll("log line", () => {
    const text = readFileSync(join(logDirectory, "httpd/0.log"), "utf8");
    return text.includes("hello-from-log") && text;
  });
  expect(log).toMatch(/^\S+Z stdout F hello-from-log$/m);

  const exec = await fx.cri.execSync(containerId, ["cat", "/etc/hostname"], 10);
  expect(exec.exitCode).toBe(0);
  expect(exec.stdout.toString().trim()).toBe("web");
  expect((await fx.cri.execSync(containerId, ["sh", "-c", "exit 3"], 10)).exitCode).toBe(3);

  await fx.cri.stopContainer(containerId, 1);
  expect((await fx.cri.containerStatus(containerId)).state).toBe("CONTAINER_EXITED");
  await fx.cri.removeContainer(containerId);
  await fx.cri.stopPodSandbox(sandboxId);
  await fx.cri.removePodSandbox(sandboxId);
  expect(await fx.cri.listPodSandbox({ id: sandboxId })).toEqual([]);
}, 60_000);

test("containerd is restarted when it dies, and containers keep running", async () => {
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: "survivor", namespace: "default", uid: "uid2" },
  };
  const sandboxId = await fx.cri.runPodSandbox(sandboxConfig);
  const containerId = await fx.cri.createContainer(
    sandboxId,
    {
      metadata: { name: "sleep" },
      image: { image: BUSYBOX },
      command: ["sleep", "3600"],
    },
    sandboxConfig,
  );
  await fx.cri.startContainer(containerId);
  const pid = Number(readFileSync(fx.paths.containerdPidFile, "utf8"));
  process.kill(pid, "SIGKILL");
  await poll("a new containerd", () => Number(readFileSync(fx.paths.containerdPidFile, "utf8")) !== pid, {
    timeoutMs: 20_000,
  });
  const state = await poll(
    "container status after restart",
    async () => (await fx.cri.containerStatus(containerId)).state,
    { timeoutMs: 20_000 },
  );
  expect(state).toBe("CONTAINER_RUNNING");
}, 60_000);

test("after k3lite is killed (SIGKILL), the next start replaces the orphaned containerd; containers survive", async () => {
  const sandboxConfig: PodSandboxConfig = { metadata: { name: "orphan-test", namespace: "default", uid: "uid3" } };
  const sandboxId = await fx.cri.runPodSandbox(sandboxConfig);
  const containerId = await fx.cri.createContainer(
    sandboxId,
    { metadata: { name: "sleep" }, image: { image: BUSYBOX }, command: ["sleep", "3600"] },
    sandboxConfig,
  );
  await fx.cri.startContainer(containerId);
  // A second k3lite process on the same data dir, killed with SIGKILL: its containerd is left running.
  const script = `import { startContainerd } from "${join(import.meta.dir, "../src/agent/cri/containerd.ts")}";
import { agentPaths } from "${join(import.meta.dir, "../src/agent/paths.ts")}";
await fx0();
async function fx0() { await startContainerd(agentPaths(${JSON.stringify(fx.dataDir)})); console.log("up"); await Bun.sleep(60000); }`;
  await fx.containerd.stop();
  const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  await reader.read(); // "up"
  const orphan = Number(readFileSync(fx.paths.containerdPidFile, "utf8"));
  child.kill("SIGKILL");
  await child.exited;
  expect(existsSync(`/proc/${orphan}`)).toBe(true);
  // The next start finds the orphan through the pid file, stops it and starts its own.
  fx.containerd = await startContainerd(fx.paths);
  expect(Number(readFileSync(fx.paths.containerdPidFile, "utf8"))).not.toBe(orphan);
  const cri = createCriClient(fx.containerd.endpoint);
  try {
    expect((await cri.containerStatus(containerId)).state).toBe("CONTAINER_RUNNING");
  } finally {
    cri.close();
  }
}, 60_000);
