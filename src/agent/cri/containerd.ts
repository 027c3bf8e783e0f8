// Starts and supervises the containerd the agent owns (like k3s): writes its config, restarts it with back-off
// if it dies, and stops it on shutdown. Pods survive: their shims run in their own process groups, so stopping
// containerd (or k3lite) leaves containers running, and the next containerd picks them up again.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { consola } from "consola";
import type { AgentPaths } from "../paths.ts";
import { poll, sleep } from "../wait.ts";
import { type CriClient, createCriClient } from "./client.ts";
import { containerdConfigToml } from "./containerd-config.ts";
import { chooseOciRuntime } from "./oci-runtime.ts";

const log = consola.withTag("containerd");

export interface Containerd {
  /** The CRI endpoint, `unix:///…/containerd.sock`. */
  endpoint: string;
  /** Stops containerd (running containers keep running). */
  stop(): Promise<void>;
}

/** Starts containerd with a generated config and waits until its CRI runtime reports RuntimeReady. */
export async function startContainerd(
  paths: AgentPaths,
  opts: { binary?: string; readyTimeoutMs?: number; ociRuntime?: string } = {},
): Promise<Containerd> {
  for (const dir of [dirname(paths.containerdConfig), paths.containerdRoot, paths.containerdState, paths.cniConfDir])
    mkdirSync(dir, { recursive: true });
  const oci = chooseOciRuntime(opts.ociRuntime ?? process.env.K3LITE_OCI_RUNTIME);
  log.info(`OCI runtime: ${oci.name}${oci.why ? ` (not crun: ${oci.why})` : ""}`);
  writeFileSync(paths.containerdConfig, containerdConfigToml(paths, { runtimeBinary: oci.binary }));
  await stopLeftover(paths);

  const binary = opts.binary ?? "containerd";
  let stopping = false;
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  let backoffMs = 1000;

  const spawn = () => {
    rmSync(paths.containerdSocket, { force: true });
    const fd = openSync(paths.containerdLog, "a");
    const startedAt = Date.now();
    proc = Bun.spawn([binary, "--config", paths.containerdConfig], {
      stdin: "ignore",
      stdout: fd,
      stderr: fd,
    });
    closeSync(fd);
    writeFileSync(paths.containerdPidFile, String(proc.pid));
    const current = proc;
    current.exited.then(async (code) => {
      if (stopping || proc !== current) return;
      // A containerd that ran a while gets a fresh back-off; one that keeps dying waits longer each time.
      if (Date.now() - startedAt > 60_000) backoffMs = 1000;
      log.warn(`containerd exited (code ${code}); restarting in ${backoffMs} ms (log: ${paths.containerdLog})`);
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, 30_000);
      if (!stopping) spawn();
    });
  };
  spawn();

  const endpoint = `unix://${paths.containerdSocket}`;
  const stop = async () => {
    stopping = true;
    const p = proc;
    if (!p || p.exitCode !== null) return;
    p.kill("SIGTERM");
    const exited = await Promise.race([p.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!exited) {
      p.kill("SIGKILL");
      await p.exited;
    }
    rmSync(paths.containerdPidFile, { force: true });
  };

  try {
    await waitForRuntime(paths.containerdSocket, endpoint, opts.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    const tail = existsSync(paths.containerdLog) ? readFileSync(paths.containerdLog, "utf8").slice(-2000) : "";
    throw new Error(`containerd did not become ready: ${(err as Error).message}\n${tail}`);
  }
  return { endpoint, stop };
}

/** Waits for a CRI endpoint to answer and report RuntimeReady. */
export async function waitForRuntime(
  socketPath: string | undefined,
  endpoint: string,
  timeoutMs: number,
): Promise<void> {
  if (socketPath)
    await poll(`socket ${socketPath}`, () => existsSync(socketPath), {
      timeoutMs,
    });
  let cri: CriClient | undefined;
  try {
    await poll(
      `CRI runtime at ${endpoint}`,
      async () => {
        // A client that failed before the socket answered backs off; a fresh one connects at once.
        cri?.close();
        cri = createCriClient(endpoint, { timeoutMs: 2000 });
        const { conditions } = await cri.status();
        return conditions.find((c) => c.type === "RuntimeReady")?.status === true;
      },
      { timeoutMs, intervalMs: 20 },
    );
  } finally {
    cri?.close();
  }
}

/** A containerd left running by a k3lite that was killed owns our socket: stop it before starting ours. */
async function stopLeftover(paths: AgentPaths): Promise<void> {
  if (!existsSync(paths.containerdPidFile)) return;
  const pid = Number(readFileSync(paths.containerdPidFile, "utf8"));
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return;
  }
  if (!cmdline.includes(paths.containerdConfig)) return;
  log.info(`stopping containerd left over from a previous run (pid ${pid})`);
  process.kill(pid, "SIGTERM");
  await poll("old containerd to exit", () => !existsSync(`/proc/${pid}`), {
    timeoutMs: 15_000,
  }).catch(() => process.kill(pid, "SIGKILL"));
}
