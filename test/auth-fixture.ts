// Shared set-up of the security e2e tests: one real `k3lite server` per file (started in beforeAll, stopped in
// afterAll), its serving CA, admin kubectl that must succeed, and kubectl under other credentials.

import { beforeAll } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderKubeconfig } from "../src/auth/kubeconfig.ts";
import { type CommandResult, type K3lite, useK3lite } from "./harness.ts";

export interface AuthCluster {
  /** The server (started in beforeAll, stopped in afterAll). */
  k: K3lite;
  /** PEM of the CA that signed the server's serving certificate. */
  serverCaPem: string;
  /** Runs kubectl as the admin; throws with stderr and the server log's tail when it fails. */
  kubectlOk(args: string[], stdin?: string): Promise<string>;
  /** Writes a kubeconfig for other credentials than the admin's into the data dir; returns its path. */
  kubeconfigFor(name: string, creds: { token?: string; certPem?: string; keyPem?: string }): Promise<string>;
  /** Runs kubectl with the kubeconfig at `kubeconfig`. */
  as(kubeconfig: string, args: string[], stdin?: string): Promise<CommandResult>;
}

/** Registers the server's start and stop with the calling test file and returns the handle its tests use. */
export function useAuthCluster(): AuthCluster {
  const c: AuthCluster = {
    // An explicit empty config file: the flag wins over whatever K3LITE_CONFIG the harness sets.
    k: useK3lite({ args: ["--config", "/dev/null"] }),
    serverCaPem: "",
    async kubectlOk(args, stdin) {
      const r = await c.k.kubectl(args, { stdin });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}\n${c.k.log().slice(-2000)}`);
      return r.stdout;
    },
    async kubeconfigFor(name, creds) {
      const path = join(c.k.dataDir, `${name}.yaml`);
      await writeFile(path, renderKubeconfig({ server: c.k.url, caPem: c.serverCaPem, ...creds }), { mode: 0o600 });
      return path;
    },
    as: (kubeconfig, args, stdin) => c.k.kubectl(args, { stdin, env: { KUBECONFIG: kubeconfig } }),
  };
  beforeAll(async () => {
    c.serverCaPem = await readFile(join(c.k.dataDir, "server", "tls", "server-ca.crt"), "utf8");
  });
  return c;
}
