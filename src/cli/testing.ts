// An in-process API server for tests, configured from the real server flags as `k3lite server --disable-agent`
// would be (temp data dir, free port, admin kubeconfig written there), with no config file from the machine.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerConfig } from "../server/config.ts";
import { type RunningServer, startServer } from "../server/index.ts";
import { toServerConfig } from "./commands/server.ts";
import { resolveFlags } from "./config.ts";
import { serverFlags } from "./flags.ts";

export interface InProcessServer {
  server: RunningServer;
  dataDir: string;
  kubeconfig: string;
  /** Stops the server and removes its data dir. */
  stop(): Promise<void>;
}

export async function startInProcessServer(
  tempPrefix: string,
  overrides: Partial<ServerConfig> = {},
): Promise<InProcessServer> {
  const dataDir = await mkdtemp(join(tmpdir(), tempPrefix));
  const kubeconfig = join(dataDir, "kubeconfig.yaml");
  const configFile = join(dataDir, "config.yaml");
  await writeFile(configFile, "");
  const flags = resolveFlags(
    serverFlags,
    ["--data-dir", dataDir, "--bind-address", "127.0.0.1", "--write-kubeconfig", kubeconfig, "--disable-agent"],
    { K3LITE_CONFIG: configFile },
  );
  // Port 0: the OS picks a free port (the flag itself insists on 1-65535); the kubeconfig gets the real one.
  const server = await startServer({ ...toServerConfig(flags), httpsListenPort: 0, ...overrides });
  return {
    server,
    dataDir,
    kubeconfig,
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
