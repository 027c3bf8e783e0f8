// Test helpers shared by the OpenAPI and CRD tests: the real kubectl run against a server in this process
// (asynchronously, so the server can answer), and an in-process k3lite server (temp dir, free port).

import { afterAll, beforeAll } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startInProcessServer } from "../../../cli/testing.ts";
import type { RunningServer } from "../../../server/index.ts";

export interface KubectlResult {
  code: number;
  out: string;
  err: string;
}

export interface Kubectl {
  (...args: string[]): Promise<KubectlResult>;
  /** Writes `yaml` to a temp file and runs `kubectl <verb> -f file …`. */
  withFile(verb: string, yaml: string, ...extra: string[]): Promise<KubectlResult>;
}

/** A kubectl bound to a kubeconfig, with its own cache dir under `dir`. */
export function kubectlFor(kubeconfig: string, dir: string): Kubectl {
  let files = 0;
  const run = async (...args: string[]): Promise<KubectlResult> => {
    const p = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, `--cache-dir=${join(dir, "kube-cache")}`, ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([
      new Response(p.stdout).text(),
      new Response(p.stderr).text(),
      p.exited,
    ]);
    return { code, out, err };
  };
  return Object.assign(run, {
    withFile(verb: string, yaml: string, ...extra: string[]) {
      const file = join(dir, `manifest-${++files}.yaml`);
      writeFileSync(file, yaml);
      return run(verb, "-f", file, ...extra);
    },
  });
}

export interface TestServer {
  server: RunningServer;
  /** The admin kubeconfig startServer wrote (for other kubectl versions, client libraries). */
  kubeconfig: string;
  kubectl: Kubectl;
  stop(): Promise<void>;
}

/** k3lite's API server in this process (no agent, scheduler or controllers), CRD serving included. */
export async function startTestServer(): Promise<TestServer> {
  // No scheduler or controllers: these tests are about the API server.
  const { server, dataDir, kubeconfig, stop } = await startInProcessServer("k3lite-openapi-", {
    disableScheduler: true,
    disableControllerManager: true,
  });
  return { server, kubeconfig, kubectl: kubectlFor(kubeconfig, dataDir), stop };
}

/** Starts a test server before the file's tests and stops it after; `kubectl` runs against it. */
export function useTestServer(): Kubectl {
  let cluster: TestServer | undefined;
  beforeAll(async () => {
    cluster = await startTestServer();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return Object.assign((...args: string[]) => running().kubectl(...args), {
    withFile: (verb: string, yaml: string, ...extra: string[]) => running().kubectl.withFile(verb, yaml, ...extra),
  });
  function running(): TestServer {
    if (!cluster) throw new Error("the test server is not running (use kubectl inside tests)");
    return cluster;
  }
}
