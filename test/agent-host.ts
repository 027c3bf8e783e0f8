// What agent tests leave on the host (sandboxes, shims, mounts, a bridge and masquerade rules) and removing it,
// also after a test process was killed: each test network is recorded with its owner and swept once he is gone.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CriClient } from "../src/agent/cri/client.ts";
import { agentPaths } from "../src/agent/paths.ts";
import { removeMasquerade } from "../src/network/masquerade.ts";

export interface TestNetwork {
  bridge: string;
  clusterCidr: string;
}

/** One file per test network in use: who owns it (pid and start time, as pids are reused) and its data dir. */
const OWNERS = join(tmpdir(), "k3lite-test-networks");

interface Owner extends TestNetwork {
  pid: number;
  startTime: string;
  dataDir?: string;
}

function startTimeOf(pid: number): string | undefined {
  try {
    // Field 22 (starttime), counted after the parenthesised command name, which may hold spaces.
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Records this process as the owner of `net` (and of `dataDir`, once it has one). */
export function claimNetwork(net: TestNetwork, dataDir?: string): void {
  mkdirSync(OWNERS, { recursive: true });
  const owner: Owner = { ...net, pid: process.pid, startTime: startTimeOf(process.pid) ?? "", dataDir };
  writeFileSync(join(OWNERS, net.bridge), JSON.stringify(owner));
}

/** A random network for one test run, claimed for this process: bridge (≤ 15 chars) and a /24 in 10.64–10.127. */
export function randomNetwork(): TestNetwork {
  for (;;) {
    const n = Math.floor(Math.random() * 64 * 256);
    const bridge = `k3lt${n.toString(16)}`;
    if (existsSync(join(OWNERS, bridge)) || existsSync(`/sys/class/net/${bridge}`)) continue;
    const net = { bridge, clusterCidr: `10.${64 + Math.floor(n / 256)}.${n % 256}.0/24` };
    claimNetwork(net);
    return net;
  }
}

/**
 * Removes what test runs whose process is gone (killed, or timed out in CI) left behind: their containerd and
 * shims, mounts, data dir, bridge and masquerade rules. Networks of live processes are left alone.
 */
export async function sweepStaleTestNetworks(): Promise<void> {
  if (!existsSync(OWNERS)) return;
  for (const file of readdirSync(OWNERS)) {
    let owner: Owner;
    try {
      owner = JSON.parse(readFileSync(join(OWNERS, file), "utf8"));
    } catch {
      continue; // being written
    }
    if (startTimeOf(owner.pid) === owner.startTime) continue;
    if (owner.dataDir) removeDataDir(owner.dataDir);
    await removeTestNetwork(owner);
  }
}

/** Stops a containerd left running (its pid file names it) and shims under `dataDir`, unmounts and deletes it. */
export function removeDataDir(dataDir: string): void {
  try {
    const pid = Number(readFileSync(agentPaths(dataDir).containerdPidFile, "utf8"));
    if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${dataDir}/`)) process.kill(pid, "SIGKILL");
  } catch {}
  killShimsUnder(dataDir);
  unmountUnder(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}

export async function removeAllSandboxes(cri: CriClient): Promise<void> {
  for (const sb of await cri.listPodSandbox()) {
    await cri.stopPodSandbox(sb.id).catch(() => {});
    await cri.removePodSandbox(sb.id).catch(() => {});
  }
}

/** Removes a test's pod network from the host (its bridge and masquerade rules) and its claim. */
export async function removeTestNetwork(net: TestNetwork): Promise<void> {
  Bun.spawnSync(["ip", "link", "del", net.bridge], { stderr: "ignore" });
  await removeMasquerade(net.clusterCidr);
  rmSync(join(OWNERS, net.bridge), { force: true });
}

/** Kills shims still serving a containerd under `dir` (a test that failed half-way may leave them). */
export function killShimsUnder(dir: string): void {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmd.startsWith("/usr/bin/containerd-shim") && cmd.includes(`${dir}/`)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {}
    }
  }
}

/** Unmounts whatever is still mounted below `dir` (deepest first) so the directory can be removed. */
export function unmountUnder(dir: string): void {
  const mounts = Bun.spawnSync(["awk", "{print $2}", "/proc/self/mounts"]).stdout.toString().split("\n");
  for (const m of mounts
    .filter((p) => p.startsWith(`${dir}/`))
    .sort()
    .reverse())
    Bun.spawnSync(["umount", "-l", m], { stderr: "ignore" });
}
