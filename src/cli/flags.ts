// The flag table: one entry per flag, shared by the parser, env vars (K3LITE_<FLAG>), config.yaml keys and help.
// Names follow k3s so users can bring their habits (and most of their config.yaml) along.

import { isIP } from "node:net";
import { homedir, hostname } from "node:os";

export type FlagType = "string" | "boolean" | "list";

export interface FlagSpec {
  name: string;
  type: FlagType;
  description: string;
  /** A default, computed at resolve time so it can depend on the user (root or not). */
  default?: () => string | boolean | string[];
  /** Returns a message when the value is wrong. */
  validate?: (value: string) => string | undefined;
}

const isRoot = () => process.getuid?.() === 0;

export function validateCidr(value: string): string | undefined {
  const [ip, bits, extra] = value.split("/");
  const family = isIP(ip ?? "");
  const max = family === 4 ? 32 : 128;
  if (!family || bits === undefined || extra !== undefined || !/^\d+$/.test(bits) || Number(bits) > max) {
    return `"${value}" is not a valid CIDR (expected e.g. 10.42.0.0/16)`;
  }
  return undefined;
}

export function validatePort(value: string): string | undefined {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) return `"${value}" is not a valid port (1-65535)`;
  return undefined;
}

function validateIp(value: string): string | undefined {
  return isIP(value) ? undefined : `"${value}" is not a valid IP address`;
}

function validateOneOf(...allowed: string[]) {
  return (value: string) => (allowed.includes(value) ? undefined : `"${value}" must be one of ${allowed.join(", ")}`);
}

function validateMode(value: string): string | undefined {
  return /^0?[0-7]{3}$/.test(value) ? undefined : `"${value}" is not a file mode (e.g. 0600)`;
}

function validateUrl(value: string): string | undefined {
  return /^https:\/\/[^/]+/.test(value) ? undefined : `"${value}" is not an https:// URL`;
}

function validateKeyValue(value: string): string | undefined {
  return /^[^=\s]+=[^=\s]*$/.test(value) ? undefined : `"${value}" must look like key=value`;
}

function validateTaint(value: string): string | undefined {
  return /^[^=:\s]+(=[^=:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/.test(value)
    ? undefined
    : `"${value}" must look like key=value:NoSchedule|PreferNoSchedule|NoExecute`;
}

const common: FlagSpec[] = [
  {
    name: "disable-kube-proxy",
    type: "boolean",
    description: "Do not route Service IPs and NodePorts on this node (iptables)",
    default: () => false,
  },
  {
    name: "config",
    type: "string",
    description: "Load configuration from FILE",
    default: () => "/etc/k3lite/config.yaml",
  },
  {
    name: "data-dir",
    type: "string",
    description: "Folder to hold state",
    default: () => (isRoot() ? "/var/lib/k3lite" : `${homedir()}/.k3lite`),
  },
  { name: "token", type: "string", description: "Shared secret used to join a server or agent to a cluster" },
  { name: "node-name", type: "string", description: "Node name", default: () => hostname().toLowerCase() },
  { name: "node-ip", type: "string", description: "IP address to advertise for the node", validate: validateIp },
  {
    name: "node-label",
    type: "list",
    description: "Registering and starting the node with labels (key=value)",
    validate: validateKeyValue,
  },
  {
    name: "node-taint",
    type: "list",
    description: "Registering the node with taints (key=value:Effect)",
    validate: validateTaint,
  },
  {
    name: "container-runtime-endpoint",
    type: "string",
    description:
      "Use an existing CRI socket (e.g. unix:///run/containerd/containerd.sock) instead of our own containerd",
  },
  {
    name: "private-registry",
    type: "string",
    description: "Registry mirrors and credentials file (k3s format)",
    default: () => "/etc/k3lite/registries.yaml",
  },
  {
    name: "kube-reserved",
    type: "string",
    description: "Resources reserved for Kubernetes (e.g. cpu=100m,memory=256Mi)",
  },
  {
    name: "system-reserved",
    type: "string",
    description: "Resources reserved for the OS (e.g. cpu=100m,memory=256Mi)",
  },
  {
    name: "container-log-max-size",
    type: "string",
    description: "Rotate container logs at this size",
    default: () => "10Mi",
  },
  {
    name: "log-format",
    type: "string",
    description: "Log format: text or json",
    default: () => "text",
    validate: validateOneOf("text", "json"),
  },
  { name: "debug", type: "boolean", description: "Turn on debug logs", default: () => false },
];

// Flags the server and the agent both take (an all-in-one server passes them to its own agent).
const clusterCidr: FlagSpec = {
  name: "cluster-cidr",
  type: "string",
  description: "IPv4 network CIDR for pod IPs",
  default: () => "10.42.0.0/16",
  validate: validateCidr,
};
const clusterDns: FlagSpec = {
  name: "cluster-dns",
  type: "string",
  description: "IPv4 cluster IP for the DNS service",
  default: () => "10.43.0.10",
  validate: validateIp,
};
const clusterDomain: FlagSpec = {
  name: "cluster-domain",
  type: "string",
  description: "Cluster domain",
  default: () => "cluster.local",
};

const serverOnly: FlagSpec[] = [
  {
    name: "bind-address",
    type: "string",
    description: "Address the API server listens on",
    default: () => "0.0.0.0",
    validate: validateIp,
  },
  {
    name: "advertise-address",
    type: "string",
    description: "IP address the API server advertises",
    validate: validateIp,
  },
  {
    name: "https-listen-port",
    type: "string",
    description: "HTTPS listen port",
    default: () => "6443",
    validate: validatePort,
  },
  {
    name: "tls-san",
    type: "list",
    description: "Add additional hostnames or IPs as Subject Alternative Names on the serving certificate",
  },
  clusterCidr,
  {
    name: "service-cidr",
    type: "string",
    description: "IPv4 network CIDR for service IPs",
    default: () => "10.43.0.0/16",
    validate: validateCidr,
  },
  clusterDns,
  clusterDomain,
  {
    name: "write-kubeconfig",
    type: "string",
    description: "Write the admin kubeconfig to this file",
    default: () => (isRoot() ? "/etc/k3lite/k3lite.yaml" : `${homedir()}/.kube/k3lite.yaml`),
  },
  {
    name: "write-kubeconfig-mode",
    type: "string",
    description: "Write the kubeconfig with this mode (e.g. 0644)",
    validate: validateMode,
  },
  {
    name: "datastore-endpoint",
    type: "string",
    description: "Datastore: empty for SQLite in the data dir, or sqlite:///path",
  },
  { name: "disable", type: "list", description: "Do not deploy this packaged component" },
  {
    name: "disable-agent",
    type: "boolean",
    description: "Run the control plane only, without a local node agent",
    default: () => false,
  },
  { name: "disable-scheduler", type: "boolean", description: "Do not run the scheduler", default: () => false },
  {
    name: "disable-controller-manager",
    type: "boolean",
    description: "Do not run the controllers",
    default: () => false,
  },
  { name: "secrets-encryption", type: "boolean", description: "Encrypt Secret data at rest", default: () => true },
];

const agentOnly: FlagSpec[] = [
  { name: "server", type: "string", description: "Server to connect to (https://HOST:6443)", validate: validateUrl },
  clusterCidr,
  clusterDns,
  clusterDomain,
];

export const serverFlags: FlagSpec[] = [...common, ...serverOnly];
export const agentFlags: FlagSpec[] = [...common, ...agentOnly];
/** Keys a shared config.yaml may hold for either command: the other command's keys are ignored, not errors. */
export const allFlagNames = new Set([...serverFlags, ...agentFlags].map((f) => f.name));
