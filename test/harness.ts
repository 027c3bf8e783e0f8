// Integration-test harness: starts real `k3lite server --disable-agent` processes (temp data dir, free port on
// 127.0.0.1; also `k3lite sim`), waits for /readyz, runs the real kubectl and the k3lite CLI against them, and polls.

import { afterAll, beforeAll } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitFor as pollUntil } from "../src/client/testing.ts";
import type { ServerConfig } from "../src/server/config.ts";

const REPO = resolve(import.meta.dir, "..");
export const KUBECTL = process.env.KUBECTL ?? "/usr/bin/kubectl";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface K3lite {
  url: string;
  port: number;
  dataDir: string;
  kubeconfig: string;
  kubectl(args: string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<CommandResult>;
  /** The server's log so far (stdout and stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** A complete ServerConfig for starting the server inside a test process (no agent, scheduler or controllers). */
export function testServerConfig(dataDir: string, port: number, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    dataDir,
    nodeName: "test-node",
    nodeLabels: [],
    nodeTaints: [],
    bindAddress: "127.0.0.1",
    httpsListenPort: port,
    tlsSans: [],
    clusterCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    clusterDns: "10.43.0.10",
    clusterDomain: "cluster.local",
    writeKubeconfig: join(dataDir, "kubeconfig.yaml"),
    disable: [],
    disableAgent: true,
    disableScheduler: true,
    disableControllerManager: true,
    secretsEncryption: true,
    containerLogMaxSize: "10Mi",
    logFormat: "text",
    debug: false,
    ...overrides,
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Polls `check` until it returns true (or a value), or throws after `timeoutMs`. The loop is src/client/testing.ts's;
 * this keeps the harness's argument order and its rule that any value but undefined/false is an answer.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const answer = await pollUntil(
    async () => {
      const v = await check();
      return v !== undefined && v !== false ? { v: v as T } : undefined;
    },
    what,
    timeoutMs,
    50,
  );
  return answer.v;
}

async function collect(stream: ReadableStream<Uint8Array> | null, sink: string[]): Promise<void> {
  if (!stream) return;
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    sink.push(decoder.decode(value));
  }
}

/** Runs the real kubectl (or the `kubectl` binary given) against the cluster `kubeconfig` points at. */
export async function runKubectl(
  kubeconfig: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; kubectl?: string } = {},
): Promise<CommandResult> {
  const p = Bun.spawn([opts.kubectl ?? KUBECTL, ...args], {
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, KUBECONFIG: kubeconfig, ...opts.env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}

const cliCommand = (args: string[]) => [process.execPath, "src/cli/main.ts", ...args];
const cliOptions = { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } } as const;

/** Runs the k3lite command line (`bun src/cli/main.ts ...args`) as a user would, without colours. */
export async function runK3lite(args: string[], opts: { timeoutMs?: number } = {}): Promise<CommandResult> {
  const p = Bun.spawn(cliCommand(args), { ...cliOptions, timeout: opts.timeoutMs });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}

/** runK3lite, blocking until the command exits. */
export function runK3liteSync(args: string[]): CommandResult {
  const out = Bun.spawnSync(cliCommand(args), cliOptions);
  return { code: out.exitCode, stdout: out.stdout.toString(), stderr: out.stderr.toString() };
}

/**
 * Spawns `k3lite server --disable-agent` on `dataDir` (admin kubeconfig at dataDir/kubeconfig.yaml) and `port`,
 * collecting its output into `output`, and waits for /readyz; the process is killed if it never gets ready.
 * Starting it again on the same data dir is how tests restart a server.
 */
export async function spawnServer(
  dataDir: string,
  port: number,
  opts: { args?: string[]; output?: string[] } = {},
): Promise<Bun.Subprocess> {
  const output = opts.output ?? [];
  // An empty config file, so a /etc/k3lite/config.yaml on the machine cannot leak into tests.
  await writeFile(join(dataDir, "none.yaml"), "");
  const proc = Bun.spawn(
    [
      process.execPath,
      "src/cli/main.ts",
      "server",
      "--disable-agent",
      "--data-dir",
      dataDir,
      "--https-listen-port",
      String(port),
      "--bind-address",
      "127.0.0.1",
      "--write-kubeconfig",
      join(dataDir, "kubeconfig.yaml"),
      ...(opts.args ?? []),
    ],
    { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { ...process.env, K3LITE_CONFIG: join(dataDir, "none.yaml") } },
  );
  void collect(proc.stdout, output);
  void collect(proc.stderr, output);
  // An exit ends the wait at once (its output is the reason), instead of polling a dead port for a minute.
  const exited = proc.exited.then((code) => {
    throw new ServerExitedError(code, output.join(""));
  });
  exited.catch(() => {});
  try {
    await Promise.race([
      exited,
      waitFor(
        async () => {
          if (proc.exitCode !== null) return false;
          // Each probe has its own deadline: whatever answers on the port (another process that took it first, a
          // server still starting) must not hold the wait past its minute.
          const res = await fetch(`https://127.0.0.1:${port}/readyz`, {
            tls: { rejectUnauthorized: false },
            signal: AbortSignal.timeout(3000),
            keepalive: false,
          });
          return res.ok;
        },
        60_000,
        "k3lite /readyz",
      ),
    ]);
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return proc;
}

/**
 * Starts `k3lite sim` (`nodes` hollow nodes, Ready `readyDelayMs` after binding) against the server spawnServer
 * started on `dataDir`, and waits until the cluster lists that many Nodes. The caller stops the process.
 */
export async function spawnSim(dataDir: string, nodes: number, readyDelayMs: number): Promise<Bun.Subprocess> {
  const kubeconfig = join(dataDir, "kubeconfig.yaml");
  const proc = Bun.spawn(
    [
      process.execPath,
      "src/cli/main.ts",
      "sim",
      "--nodes",
      String(nodes),
      "--ready-delay",
      String(readyDelayMs),
      "--kubeconfig",
      kubeconfig,
      "--config",
      join(dataDir, "none.yaml"),
    ],
    { cwd: REPO, stdout: "ignore", stderr: "ignore" },
  );
  try {
    await waitFor(
      async () =>
        (await runKubectl(kubeconfig, ["get", "nodes", "-o", "name"])).stdout.trim().split("\n").length === nodes,
      30_000,
      `${nodes} hollow nodes`,
    );
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  }
  return proc;
}

/** The server process ended before it was ready; `output` is what it printed. */
export class ServerExitedError extends Error {
  constructor(
    readonly code: number,
    readonly output: string,
  ) {
    super(`k3lite exited with ${code}:\n${output}`);
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within 5 s. */
async function stopProcess(proc: Bun.Subprocess): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.kill("SIGTERM");
  const killed = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await proc.exited;
  clearTimeout(killed);
}

export async function startK3lite(opts: { args?: string[] } = {}): Promise<K3lite> {
  const dataDir = await mkdtemp(join(tmpdir(), "k3lite-test-"));
  const kubeconfig = join(dataDir, "kubeconfig.yaml");
  let port = 0;
  let output: string[] = [];
  let proc: Bun.Subprocess | undefined;
  // freePort's port is free when it answers, not when the server binds it: another process (a pod's port-forward, a
  // registry) may take it in between. Such a start is retried on a new port.
  for (let attempt = 1; !proc; attempt++) {
    port = await freePort();
    output = [];
    try {
      proc = await spawnServer(dataDir, port, { args: opts.args, output });
    } catch (err) {
      if (attempt < 3 && err instanceof ServerExitedError && err.output.includes("EADDRINUSE")) continue;
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
  const started = proc;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    dataDir,
    kubeconfig,
    log: () => output.join(""),
    kubectl: (args, o) => runKubectl(kubeconfig, args, o),
    async stop() {
      await stopProcess(started);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One server for the calling test file: started in beforeAll (90 s allowed), stopped in afterAll. The handle can be
 * held at module level; its members reach the started server, so use them only inside hooks and tests.
 */
export function useK3lite(opts: { args?: string[] } = {}): K3lite {
  let k: K3lite | undefined;
  beforeAll(async () => {
    k = await startK3lite(opts);
  }, 90_000);
  afterAll(async () => {
    await k?.stop();
  });
  return lateK3lite(() => k);
}

/** A handle whose members reach the server `get` returns once it is started (for module-level handles). */
export function lateK3lite(get: () => K3lite | undefined): K3lite {
  const started = (): K3lite => {
    const k = get();
    if (!k) throw new Error("k3lite is not started: use the handle inside hooks and tests");
    return k;
  };
  return {
    get url() {
      return started().url;
    },
    get port() {
      return started().port;
    },
    get dataDir() {
      return started().dataDir;
    },
    get kubeconfig() {
      return started().kubeconfig;
    },
    kubectl: (args, o) => started().kubectl(args, o),
    log: () => get()?.log() ?? "",
    stop: () => started().stop(),
  };
}
