// Idle footprint of `k3lite server` as users run it (all-in-one: control plane, agent, our containerd, the service
// proxy, cluster DNS and ServiceLB), from the compiled binary when dist/ has one for this machine, else from source:
// RSS and CPU of the k3lite process and of containerd once the node is Ready and the cluster has settled, with the
// packaged networking on and off. Needs root, containerd and a free port 10250 and `k3lite0` bridge.
//
//   bun bench/idle.ts            settles 30 s per variant
//   bun bench/idle.ts --smoke    settles 5 s (CI)

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { agentPaths } from "../src/agent/paths.ts";
import { removeServiceRules } from "../src/network/proxy/iptables.ts";
import { freePort, runKubectl, waitFor } from "../test/harness.ts";
import { printReport, report } from "./report.ts";

const SMOKE = process.argv.includes("--smoke");
const SETTLE_MS = SMOKE ? 5_000 : 30_000;
const REPO = resolve(import.meta.dir, "..");
const ARCH = process.arch === "arm64" ? "arm64" : "amd64";
const BINARY = join(REPO, "dist", `k3lite-linux-${ARCH}`);

const statusField = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function containerdPid(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(agentPaths(dataDir).containerdPidFile, "utf8")) || undefined;
  } catch {
    return undefined;
  }
}

async function measure(label: string, extraArgs: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-bench-idle-"));
  const dataDir = join(dir, "data");
  const kubeconfig = join(dir, "kubeconfig.yaml");
  writeFileSync(join(dir, "none.yaml"), "");
  const command = existsSync(BINARY) ? [BINARY] : [process.execPath, join(REPO, "src/cli/main.ts")];
  const args = ["server", "--data-dir", dataDir, "--bind-address", "127.0.0.1"];
  args.push("--https-listen-port", String(await freePort()), "--write-kubeconfig", kubeconfig);
  const proc = Bun.spawn([...command, ...args, "--config", join(dir, "none.yaml"), ...extraArgs], {
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await waitFor(
      async () =>
        existsSync(kubeconfig) &&
        (await runKubectl(kubeconfig, ["get", "nodes", "--no-headers"])).stdout.includes(" Ready "),
      90_000,
      "the node Ready",
    );
    await Bun.sleep(SETTLE_MS);
    const containerd = containerdPid(dataDir);
    const [k0, c0] = [cpuSeconds(proc.pid), containerd ? cpuSeconds(containerd) : 0];
    await Bun.sleep(SETTLE_MS);
    const [k1, c1] = [cpuSeconds(proc.pid), containerd ? cpuSeconds(containerd) : 0];
    const percent = (a: number, b: number) => `${(((b - a) / (SETTLE_MS / 1000)) * 100).toFixed(1)} %`;
    const mib = (n: number) => `${n.toFixed(0)} MiB`;
    report(
      `idle, ${label}: RSS k3lite / containerd`,
      `${mib(statusField(proc.pid, "VmRSS"))} / ${containerd ? mib(statusField(containerd, "VmRSS")) : "?"}`,
    );
    report(`idle, ${label}: CPU k3lite / containerd`, `${percent(k0, k1)} / ${percent(c0, c1)}`);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    // The agent leaves containerd, the bridge and the Service rules for a restart to find; this run is over.
    const containerd = containerdPid(dataDir);
    if (containerd) process.kill(containerd, "SIGKILL");
    await removeServiceRules().catch(() => {});
    Bun.spawnSync(["ip", "addr", "del", "10.43.0.10/32", "dev", "lo"]);
    Bun.spawnSync(["ip", "link", "del", "k3lite0"]);
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n").reverse()) {
      const mountPoint = line.split(" ")[1];
      if (mountPoint?.startsWith(dataDir)) Bun.spawnSync(["umount", "-l", mountPoint]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

console.error(`k3lite idle footprint (${existsSync(BINARY) ? "compiled binary" : "from source"})`);
await measure("everything on", []);
await measure("no proxy, DNS, ServiceLB, Ingress", [
  "--disable-kube-proxy",
  "--disable",
  "coredns",
  "--disable",
  "servicelb",
  "--disable",
  "traefik",
]);
printReport("k3lite server, all-in-one, no pods");
