// `k3lite agent --server https://HOST:6443 --token K10…`: joins this machine to a cluster as a worker node.
// Joining checks the server's CA against the token's hash before any secret is sent (src/auth/join-client.ts);
// afterwards the agent talks to the API server over HTTPS with its node certificate, like any remote client.

import { defineCommand } from "citty";
import { consola } from "consola";
import type { AgentConfig } from "../../agent/config.ts";
import { bool, ConfigError, type FlagValues, list, req, resolveFlags, str } from "../config.ts";
import { agentFlags } from "../flags.ts";
import { configureLogging } from "../logging.ts";
import { cittyArgs, runUntilSignal } from "../run.ts";

export function toAgentConfig(v: FlagValues): AgentConfig {
  const server = str(v, "server");
  const token = str(v, "token");
  if (!server) throw new ConfigError("--server is required (https://HOST:6443 of a k3lite server)");
  if (!token) throw new ConfigError("--token is required (see `k3lite token list` on the server)");
  return {
    dataDir: req(v, "data-dir"),
    server,
    token,
    nodeName: req(v, "node-name"),
    nodeIp: str(v, "node-ip"),
    nodeLabels: list(v, "node-label"),
    nodeTaints: list(v, "node-taint"),
    clusterCidr: req(v, "cluster-cidr"),
    clusterDns: req(v, "cluster-dns"),
    clusterDomain: req(v, "cluster-domain"),
    containerRuntimeEndpoint: str(v, "container-runtime-endpoint"),
    privateRegistry: str(v, "private-registry"),
    runtime: "containerd",
    kubeReserved: str(v, "kube-reserved"),
    systemReserved: str(v, "system-reserved"),
    containerLogMaxSize: req(v, "container-log-max-size"),
    controlPlane: false,
    serviceProxy: !bool(v, "disable-kube-proxy"),
    // A joined node answers cluster DNS like the server's node (k3s's --disable coredns is a server flag).
    clusterDnsServer: true,
    ingressPort: 80,
  };
}

async function startJoinedAgent(config: AgentConfig): Promise<{ stop(): Promise<void> }> {
  const { ensureAgentCredentials } = await import("../../auth/agent-credentials.ts");
  const { httpsTransport } = await import("../../client/https.ts");
  const { createClient } = await import("../../client/client.ts");
  const { startAgent } = await import("../../agent/index.ts");
  // Credentials kept from an earlier join are reused while valid, so a restart needs neither a valid token nor the server.
  const creds = await ensureAgentCredentials({
    dataDir: config.dataDir,
    server: config.server!,
    token: config.token!,
    nodeName: config.nodeName,
    warn: (m) => consola.warn(m),
    onRetry: (err, ms) => consola.warn(`joining ${config.server}: ${err.message}; retrying in ${ms / 1000}s`),
  });
  consola.info(`${creds.joined ? "joined" : "rejoined"} ${config.server} as node ${config.nodeName}`);
  const client = createClient(
    httpsTransport({ server: config.server!, caPem: creds.caPem, certPem: creds.certPem, keyPem: creds.keyPem }),
    {
      userAgent: "k3lite-agent",
    },
  );
  // The API server reaches our logs/exec/port-forward port with a certificate from the cluster's client CA.
  return startAgent({ ...config, clientCaPem: creds.caPem }, client);
}

export default defineCommand({
  meta: { name: "agent", description: "Join this machine to a k3lite cluster as a worker node" },
  args: cittyArgs(agentFlags),
  async run({ rawArgs }) {
    const flags = resolveFlags(agentFlags, rawArgs);
    configureLogging(str(flags, "log-format") as "text" | "json", bool(flags, "debug"));
    const config = toAgentConfig(flags);
    await runUntilSignal(() => startJoinedAgent(config));
  },
});
