// The CRI ContainerConfig for one container of a pod: image, command/args with $(VAR) expansion, env, working
// dir, mounts (volumes, /etc/hosts, the termination-message file), securityContext and resources → Linux
// cgroup settings, labels and annotations that let the agent recognise the container later.

import type { Container, Pod } from "../../api/types.ts";
import { parseMilli, parseQuantity } from "../../client/quantity.ts";
import type { ContainerConfig, LinuxContainerResources, Mount } from "../cri/types.ts";
import { ConfigError, expandVars } from "./env.ts";
import {
  CONTAINER_HASH,
  CONTAINER_NAME,
  containerHash,
  containerLogPath,
  podIdentity,
  podLabels,
  TERMINATION_MESSAGE_PATH,
} from "./labels.ts";

const CPU_PERIOD = 100_000; // µs, the CFS default the kubelet uses
const MIN_SHARES = 2;

/** requests.cpu → shares, limits.cpu → CFS quota, limits.memory → memory limit (upstream's conversions). */
export function linuxResources(c: Container): LinuxContainerResources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  // A limit without a request means request = limit.
  const cpuRequest = parseMilli(req.cpu ?? lim.cpu);
  const out: LinuxContainerResources = { cpuShares: Math.max(MIN_SHARES, Math.floor((cpuRequest * 1024) / 1000)) };
  if (lim.cpu) {
    out.cpuPeriod = CPU_PERIOD;
    out.cpuQuota = Math.max(1000, Math.floor((parseMilli(lim.cpu) * CPU_PERIOD) / 1000));
  }
  if (lim.memory) out.memoryLimitInBytes = parseQuantity(lim.memory);
  return out;
}

function securityContext(c: Container, pod: Pod): NonNullable<ContainerConfig["linux"]>["securityContext"] {
  const psc = pod.spec?.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const runAsNonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
  if (runAsNonRoot && runAsUser === 0) throw new ConfigError("container's runAsUser breaks non-root policy");
  return {
    privileged: Boolean(sc.privileged),
    capabilities: { addCapabilities: sc.capabilities?.add ?? [], dropCapabilities: sc.capabilities?.drop ?? [] },
    ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
    readonlyRootfs: Boolean(sc.readOnlyRootFilesystem),
    supplementalGroups: [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])],
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    namespaceOptions: {
      network: pod.spec?.hostNetwork ? "NODE" : "POD",
      pid: pod.spec?.hostPID ? "NODE" : pod.spec?.shareProcessNamespace ? "POD" : "CONTAINER",
      ipc: pod.spec?.hostIPC ? "NODE" : "POD",
    },
  };
}

export interface ContainerInputs {
  image: string; // the image reference resolved by the image service
  env: Map<string, string>;
  mounts: Mount[];
  attempt: number;
}

export function containerConfig(c: Container, pod: Pod, inputs: ContainerInputs): ContainerConfig {
  const id = podIdentity(pod);
  const expand = (s: string) => expandVars(s, inputs.env);
  return {
    metadata: { name: c.name, attempt: inputs.attempt },
    image: { image: inputs.image },
    command: (c.command ?? []).map(expand),
    args: (c.args ?? []).map(expand),
    workingDir: c.workingDir ?? "",
    envs: [...inputs.env].map(([key, value]) => ({ key, value })),
    mounts: inputs.mounts,
    labels: { ...podLabels(id), [CONTAINER_NAME]: c.name },
    annotations: {
      [CONTAINER_HASH]: containerHash(c),
      [TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? "/dev/termination-log",
    },
    logPath: containerLogPath(c.name, inputs.attempt),
    stdin: Boolean(c.stdin),
    stdinOnce: Boolean(c.stdinOnce),
    tty: Boolean(c.tty),
    linux: { resources: linuxResources(c), securityContext: securityContext(c, pod) },
  };
}
