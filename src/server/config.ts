// The resolved configuration of `k3lite server`: flags, K3LITE_* env vars and config.yaml merged by src/cli/.
// Components receive the parts they need; none of them parses flags.

export interface ServerConfig {
  dataDir: string;
  token?: string;
  nodeName: string;
  nodeIp?: string;
  nodeLabels: string[];
  nodeTaints: string[];
  bindAddress: string;
  advertiseAddress?: string;
  httpsListenPort: number;
  tlsSans: string[];
  clusterCidr: string;
  serviceCidr: string;
  clusterDns: string;
  clusterDomain: string;
  writeKubeconfig: string;
  writeKubeconfigMode?: string;
  /** Empty/undefined: SQLite at <dataDir>/server/db/state.db. */
  datastoreEndpoint?: string;
  disable: string[];
  disableAgent: boolean;
  /** Leave Service routing (iptables) to something else; `disable: ["coredns"]` does the same for cluster DNS. */
  disableKubeProxy?: boolean;
  disableScheduler: boolean;
  disableControllerManager: boolean;
  secretsEncryption: boolean;
  /** Settings for the node agent started in the same process (see AgentConfig). */
  containerRuntimeEndpoint?: string;
  /** registries.yaml for the local agent's image pulls. */
  privateRegistry?: string;
  kubeReserved?: string;
  systemReserved?: string;
  containerLogMaxSize: string;
  logFormat: "text" | "json";
  debug: boolean;
}
