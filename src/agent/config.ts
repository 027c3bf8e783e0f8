// The resolved configuration of a node agent (inside `k3lite server`, or `k3lite agent`).

export interface AgentConfig {
  dataDir: string;
  /** https://HOST:6443 of the server to join (unset in all-in-one mode, where the client is in-process). */
  server?: string;
  token?: string;
  nodeName: string;
  nodeIp?: string;
  nodeLabels: string[];
  nodeTaints: string[];
  clusterCidr: string;
  clusterDns: string;
  clusterDomain: string;
  /** Use an existing CRI socket instead of starting our own containerd. */
  containerRuntimeEndpoint?: string;
  /** OCI runtime for our own containerd: "auto" (default: crun when usable, else runc), "crun", "runc" or a path. */
  ociRuntime?: string;
  /** "containerd" (default) or "fake" (hollow node, for scale tests). */
  runtime: "containerd" | "fake";
  kubeReserved?: string;
  systemReserved?: string;
  containerLogMaxSize: string;
  /** Set on servers: adds the control-plane role label. */
  controlPlane: boolean;
  /** Port of the agent's HTTPS endpoint for logs/exec/port-forward (the kubelet's 10250); 0 picks a free one. */
  kubeletPort?: number;
  /**
   * PEM of the CA(s) whose client certificates may use the agent's port (logs/exec/port-forward): the CA bundle
   * a joined agent received. Default: <dataDir>/server/tls/client-ca.crt (all-in-one).
   */
  clientCaPem?: string;
  /** registries.yaml (k3s format) with mirrors and registry auth/TLS; default /etc/k3lite/registries.yaml. */
  privateRegistry?: string;
  /** Name of the pod network bridge (default k3lite0); tests running side by side use their own. */
  podNetworkBridge?: string;
  /** Route Service IPs and NodePorts to endpoints with iptables (kube-proxy's job); the commands turn it on. */
  serviceProxy?: boolean;
  /** Answer cluster DNS on the --cluster-dns IP of this node (CoreDNS's job); the commands turn it on. */
  clusterDnsServer?: boolean;
  /** Serve the cluster's Ingresses over HTTP on this port of every address (Traefik's job in k3s; the commands use 80). */
  ingressPort?: number;
  /** And over HTTPS on this one (443), when the agent is given a client that may read certificate Secrets. */
  ingressHttpsPort?: number;
}
