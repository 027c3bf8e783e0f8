// Where the node agent keeps its files under the data dir (the k3s layout, so its users find their way):
// <dataDir>/agent/{etc/containerd, etc/cni/net.d, containerd, run, images, pods, logs}.

import { join } from "node:path";

export interface AgentPaths {
  agentDir: string;
  containerdConfig: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  containerdLog: string;
  containerdPidFile: string;
  /** Where registry hosts.toml files for containerd go (generated from registries.yaml). */
  containerdCertsDir: string;
  cniConfDir: string;
  cniBinDir: string;
  /** Airgap image tarballs imported at start. */
  imagesDir: string;
  /** Per-pod volumes: <podsDir>/<uid>/volumes/<plugin>/<name>. */
  podsDir: string;
  /** Container logs: <podLogsDir>/<namespace>_<name>_<uid>/<container>/<attempt>.log (CRI log format). */
  podLogsDir: string;
  /** The agent's serving certificate for its streaming/logs port. */
  tlsDir: string;
}

export function agentPaths(dataDir: string): AgentPaths {
  const agentDir = join(dataDir, "agent");
  return {
    agentDir,
    containerdConfig: join(agentDir, "etc/containerd/config.toml"),
    containerdRoot: join(agentDir, "containerd"),
    containerdState: join(agentDir, "run/containerd"),
    containerdSocket: join(agentDir, "run/containerd.sock"),
    containerdLog: join(agentDir, "containerd/containerd.log"),
    containerdPidFile: join(agentDir, "run/containerd.pid"),
    containerdCertsDir: join(agentDir, "etc/containerd/certs.d"),
    cniConfDir: join(agentDir, "etc/cni/net.d"),
    cniBinDir: "/usr/lib/cni",
    imagesDir: join(agentDir, "images"),
    podsDir: join(agentDir, "pods"),
    podLogsDir: join(agentDir, "logs/pods"),
    tlsDir: join(agentDir, "tls"),
  };
}
