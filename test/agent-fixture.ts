// Shared set-up for agent tests on real containerd: a temp data dir, our own supervised containerd, the test
// images imported, and a pod network on a bridge and subnet of its own (tests run in parallel on one host).
// `cleanup()` removes every sandbox, stops containerd and deletes the bridge and the data dir.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CriClient, createCriClient } from "../src/agent/cri/client.ts";
import { type Containerd, startContainerd } from "../src/agent/cri/containerd.ts";
import { importImage, importStartupImages } from "../src/agent/cri/images.ts";
import { type AgentPaths, agentPaths } from "../src/agent/paths.ts";
import { setupPodNetwork } from "../src/network/cni.ts";
import { removeMasquerade } from "../src/network/masquerade.ts";

const root = join(import.meta.dir, "..");
export const BUSYBOX = "docker.io/library/busybox:1.35";

/** Builds dist/images/{pause,busybox}.tar when a checkout has not yet. */
export function ensureTestImages(): void {
  if (existsSync(join(root, "dist/images/busybox.tar")) && existsSync(join(root, "dist/images/pause.tar"))) return;
  const res = Bun.spawnSync(["bash", join(root, "scripts/build-test-images.sh")], {
    stdout: "inherit",
    stderr: "inherit",
  });
  if (!res.success) throw new Error("scripts/build-test-images.sh failed");
}

/** A random network for one test run: bridge name (≤ 15 chars) and a /16 cluster CIDR in 10.64–10.127. */
export function randomNetwork(): { bridge: string; clusterCidr: string } {
  const n = Math.floor(Math.random() * 64 * 256);
  return {
    bridge: `k3lt${n.toString(16)}`,
    clusterCidr: `10.${64 + Math.floor(n / 256)}.${n % 256}.0/24`,
  };
}

export interface ContainerdFixture {
  dataDir: string;
  paths: AgentPaths;
  /** Replaceable: a test may stop it and start another on the same paths. */
  containerd: Containerd;
  cri: CriClient;
  bridge: string;
  clusterCidr: string;
  cleanup(): Promise<void>;
}

export async function startContainerdFixture(opts: { dataDir?: string } = {}): Promise<ContainerdFixture> {
  ensureTestImages();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "k3lite-agent-"));
  const paths = agentPaths(dataDir);
  const { bridge, clusterCidr } = randomNetwork();
  await setupPodNetwork({
    confDir: paths.cniConfDir,
    ipamDataDir: join(dataDir, "agent/cni"),
    clusterCidr,
    bridge,
  });
  const containerd = await startContainerd(paths);
  await importStartupImages(paths.containerdSocket, paths.imagesDir);
  await importImage(paths.containerdSocket, join(root, "dist/images/busybox.tar"));
  const cri = createCriClient(containerd.endpoint);
  const fx: ContainerdFixture = {
    dataDir,
    paths,
    containerd,
    cri,
    bridge,
    clusterCidr,
    async cleanup() {
      await removeAllSandboxes(cri).catch(() => {});
      cri.close();
      await fx.containerd.stop();
      await removeTestNetwork(bridge, clusterCidr);
      killShimsUnder(dataDir);
      unmountUnder(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return fx;
}

export async function removeAllSandboxes(cri: CriClient): Promise<void> {
  for (const sb of await cri.listPodSandbox()) {
    await cri.stopPodSandbox(sb.id).catch(() => {});
    await cri.removePodSandbox(sb.id).catch(() => {});
  }
}

/** Removes what a test's pod network left on the host: its bridge and its masquerade rules. */
export async function removeTestNetwork(bridge: string, clusterCidr: string): Promise<void> {
  Bun.spawnSync(["ip", "link", "del", bridge], { stderr: "ignore" });
  await removeMasquerade(clusterCidr);
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
