// `k3lite server`: the control plane, and (unless --disable-agent) a node agent in the same process. Like k3s's
// cmd/, this only wires components together: each talks to the API server through its own in-process client
// and identity, exactly as it would over HTTPS.

import { defineCommand } from "citty";
import { consola } from "consola";
import type { AgentConfig } from "../../agent/config.ts";
import { CONTROLLER_MANAGER_USER, INGRESS_USER, nodeUser, SCHEDULER_USER } from "../../auth/rbac/bootstrap-policy.ts";
import { controllerUser } from "../../auth/rbac/controller-roles.ts";
import type { ServerConfig } from "../../server/config.ts";
import { bool, type FlagValues, list, req, resolveFlags, str } from "../config.ts";
import { serverFlags } from "../flags.ts";
import { configureLogging } from "../logging.ts";
import { cittyArgs, runUntilSignal } from "../run.ts";

export function toServerConfig(v: FlagValues): ServerConfig {
  return {
    dataDir: req(v, "data-dir"),
    token: str(v, "token"),
    nodeName: req(v, "node-name"),
    nodeIp: str(v, "node-ip"),
    nodeLabels: list(v, "node-label"),
    nodeTaints: list(v, "node-taint"),
    bindAddress: req(v, "bind-address"),
    advertiseAddress: str(v, "advertise-address"),
    httpsListenPort: Number(str(v, "https-listen-port")),
    tlsSans: list(v, "tls-san"),
    clusterCidr: req(v, "cluster-cidr"),
    serviceCidr: req(v, "service-cidr"),
    clusterDns: req(v, "cluster-dns"),
    clusterDomain: req(v, "cluster-domain"),
    writeKubeconfig: req(v, "write-kubeconfig"),
    writeKubeconfigMode: str(v, "write-kubeconfig-mode"),
    datastoreEndpoint: str(v, "datastore-endpoint"),
    disable: list(v, "disable"),
    disableAgent: bool(v, "disable-agent"),
    disableKubeProxy: bool(v, "disable-kube-proxy"),
    disableScheduler: bool(v, "disable-scheduler"),
    disableControllerManager: bool(v, "disable-controller-manager"),
    secretsEncryption: bool(v, "secrets-encryption"),
    containerRuntimeEndpoint: str(v, "container-runtime-endpoint"),
    privateRegistry: str(v, "private-registry"),
    kubeReserved: str(v, "kube-reserved"),
    systemReserved: str(v, "system-reserved"),
    containerLogMaxSize: req(v, "container-log-max-size"),
    logFormat: str(v, "log-format") as "text" | "json",
    debug: bool(v, "debug"),
  };
}

/** The agent that runs beside the control plane in all-in-one mode. */
export function localAgentConfig(config: ServerConfig): AgentConfig {
  return {
    dataDir: config.dataDir,
    nodeName: config.nodeName,
    nodeIp: config.nodeIp,
    nodeLabels: config.nodeLabels,
    nodeTaints: config.nodeTaints,
    clusterCidr: config.clusterCidr,
    clusterDns: config.clusterDns,
    clusterDomain: config.clusterDomain,
    containerRuntimeEndpoint: config.containerRuntimeEndpoint,
    privateRegistry: config.privateRegistry,
    runtime: "containerd",
    kubeReserved: config.kubeReserved,
    systemReserved: config.systemReserved,
    containerLogMaxSize: config.containerLogMaxSize,
    controlPlane: true,
    serviceProxy: !config.disableKubeProxy,
    clusterDnsServer: !config.disable.includes("coredns"),
    ingressPort: config.disable.includes("traefik") ? undefined : 80,
    ingressHttpsPort: config.disable.includes("traefik") ? undefined : 443,
  };
}

/** Starts the control plane and, in order, the components this server runs; stops them in reverse. */
export async function startAllInOne(config: ServerConfig): Promise<{ stop(): Promise<void> }> {
  const { startServer } = await import("../../server/index.ts");
  const server = await startServer(config);
  const stops: Array<() => Promise<void>> = [() => server.stop()];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => consola.error(err));
  };
  try {
    if (!config.disableControllerManager) {
      const { startControllers } = await import("../../controllers/index.ts");
      const controllers = startControllers(server.client(CONTROLLER_MANAGER_USER, "k3lite-controller-manager"), {
        clusterCidr: config.clusterCidr,
        serviceCidr: config.serviceCidr,
        dataDir: config.dataDir,
        rootCA: server.pki.serverCaCertPem,
        // k3s's name for the packaged ingress is `traefik`; its controller here is `ingress`.
        disable: config.disable.includes("traefik") ? [...config.disable, "ingress"] : config.disable,
        clientFor: (account) => server.client(controllerUser(account), `k3lite-controller-manager/${account}`),
        // A Lease per component, as upstream: servers sharing one datastore never run a controller twice. The node
        // name is a stable identity, so a restarted server takes its own Lease back at once.
        leaderElection: { identity: config.nodeName },
      });
      stops.push(() => controllers.stop());
    }
    if (!config.disableScheduler) {
      const { startLeaderElectedScheduler } = await import("../../scheduler/leader.ts");
      const scheduler = startLeaderElectedScheduler(server.client(SCHEDULER_USER, "k3lite-scheduler"), {
        identity: config.nodeName,
      });
      stops.push(() => scheduler.stop());
    }
    if (!config.disableAgent) {
      const { startAgent } = await import("../../agent/index.ts");
      const agent = await startAgent(
        localAgentConfig(config),
        server.client(nodeUser(config.nodeName), "k3lite-agent"),
        // This node serves Ingress HTTPS too: its certificates come through an identity allowed to read them.
        { ingressSecrets: server.client(INGRESS_USER, "k3lite-ingress") },
      );
      stops.push(() => agent.stop());
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}

export default defineCommand({
  meta: { name: "server", description: "Run the control plane (and a node agent, unless --disable-agent)" },
  args: cittyArgs(serverFlags),
  async run({ rawArgs }) {
    const config = toServerConfig(resolveFlags(serverFlags, rawArgs));
    configureLogging(config.logFormat, config.debug);
    consola.info(`Starting k3lite server (data dir ${config.dataDir})`);
    await runUntilSignal(() => startAllInOne(config));
  },
});
