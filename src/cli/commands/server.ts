// `k3lite server`: the control plane, and (unless --disable-agent) a node agent in the same process.

import { defineCommand } from "citty";
import { consola } from "consola";
import type { ServerConfig } from "../../server/config.ts";
import { bool, list, resolveFlags, str, type FlagValues } from "../config.ts";
import { serverFlags } from "../flags.ts";
import { configureLogging } from "../logging.ts";
import { cittyArgs, runUntilSignal } from "../run.ts";

export function toServerConfig(v: FlagValues): ServerConfig {
  return {
    dataDir: str(v, "data-dir")!,
    token: str(v, "token"),
    nodeName: str(v, "node-name")!,
    nodeIp: str(v, "node-ip"),
    nodeLabels: list(v, "node-label"),
    nodeTaints: list(v, "node-taint"),
    bindAddress: str(v, "bind-address")!,
    advertiseAddress: str(v, "advertise-address"),
    httpsListenPort: Number(str(v, "https-listen-port")),
    tlsSans: list(v, "tls-san"),
    clusterCidr: str(v, "cluster-cidr")!,
    serviceCidr: str(v, "service-cidr")!,
    clusterDns: str(v, "cluster-dns")!,
    clusterDomain: str(v, "cluster-domain")!,
    writeKubeconfig: str(v, "write-kubeconfig")!,
    writeKubeconfigMode: str(v, "write-kubeconfig-mode"),
    datastoreEndpoint: str(v, "datastore-endpoint"),
    disable: list(v, "disable"),
    disableAgent: bool(v, "disable-agent"),
    secretsEncryption: bool(v, "secrets-encryption"),
    containerRuntimeEndpoint: str(v, "container-runtime-endpoint"),
    kubeReserved: str(v, "kube-reserved"),
    systemReserved: str(v, "system-reserved"),
    containerLogMaxSize: str(v, "container-log-max-size")!,
    logFormat: str(v, "log-format") as "text" | "json",
    debug: bool(v, "debug"),
  };
}

export default defineCommand({
  meta: { name: "server", description: "Run the control plane (and a node agent, unless --disable-agent)" },
  args: cittyArgs(serverFlags),
  async run({ rawArgs }) {
    const config = toServerConfig(resolveFlags(serverFlags, rawArgs));
    configureLogging(config.logFormat, config.debug);
    const { startServer } = await import("../../server/index.ts");
    consola.info(`Starting k3lite server (data dir ${config.dataDir})`);
    await runUntilSignal(() => startServer(config));
  },
});
