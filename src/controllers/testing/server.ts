// A real k3lite API server started in the test process (temp data dir, free port) with the real kubectl
// pointed at it, for controller integration tests: controllers run beside it over the in-process client.

import { CONTROLLER_MANAGER_USER } from "../../auth/rbac/bootstrap-policy.ts";
import { controllerUser } from "../../auth/rbac/controller-roles.ts";
import { startInProcessServer } from "../../cli/testing.ts";
import type { KubeClient } from "../../client/types.ts";
import type { RunningServer } from "../../server/index.ts";
import { type ControllersOptions, type RunningControllers, startControllers } from "../index.ts";

export interface TestServer {
  server: RunningServer;
  /** A privileged client, for test set-up and assertions. */
  client: KubeClient;
  /** The identities controllers run with in `k3lite server`: the manager's, and one ServiceAccount each. */
  controllerClients: { client: KubeClient; clientFor(account: string): KubeClient };
  kubeconfig: string;
  dataDir: string;
  /** Runs kubectl; throws with stderr when it fails. */
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const { server, dataDir, kubeconfig, stop } = await startInProcessServer("k3lite-controllers-");
  return {
    server,
    client: server.client(),
    controllerClients: {
      client: server.client(CONTROLLER_MANAGER_USER, "k3lite-controller-manager"),
      clientFor: (account) => server.client(controllerUser(account), `k3lite-controller-manager/${account}`),
    },
    kubeconfig,
    dataDir,
    async kubectl(...args) {
      const p = Bun.spawn(["/usr/bin/kubectl", ...args], {
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
      const [out, err, code] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      if (code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${code}: ${err}`);
      return out;
    },
    stop,
  };
}

/** Starts the controllers against `k` with the identities and CIDRs `k3lite server` gives them; `opts` add to those. */
export function startTestControllers(k: TestServer, opts: Partial<ControllersOptions> = {}): RunningControllers {
  return startControllers(k.controllerClients.client, {
    clientFor: k.controllerClients.clientFor,
    clusterCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    ...opts,
  });
}
