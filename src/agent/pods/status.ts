// The pod's status as the kubelet reports it, computed from CRI state plus what the worker knows (waiting
// reasons like CrashLoopBackOff/ErrImagePull, probe results): phase with upstream's rules, conditions,
// pod and host IPs, and container statuses with state, lastState, restartCount, ready/started and IDs.

import { readFileSync } from "node:fs";
import { qosClass } from "../../api/qos.ts";
import type { Container, core, Pod, PodStatus } from "../../api/types.ts";
import { asContainer } from "./ephemeral.ts";
import { type ContainerRecord, nsToIso, type PodRuntime } from "./runtime.ts";
import { isSidecar, mainContainersCreated } from "./sidecars.ts";

export interface Waiting {
  reason: string;
  message?: string;
}

export interface StatusInputs {
  pod: Pod;
  rt: PodRuntime;
  nodeIp: string;
  /** Per container name: why it is waiting (overrides what CRI says). */
  waiting: Map<string, Waiting>;
  /** Per container name: readiness from probes (true when it has no readiness probe and runs). */
  ready: (c: Container, record: ContainerRecord) => boolean;
  started: (c: Container, record: ContainerRecord) => boolean;
  /** Set when the pod was rejected or finished for good. */
  terminalPhase?: "Succeeded" | "Failed";
  /** The pod's directory: termination messages are read from <podDir>/containers/<name>/<attempt>.termination-log. */
  podDir?: string;
  reason?: string;
  message?: string;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

function terminationMessage(r: ContainerRecord, c: Container, podDir?: string): string | undefined {
  if (podDir) {
    try {
      const text = readFileSync(terminationLogPath(podDir, c.name, r.attempt), "utf8");
      if (text) return text.slice(0, 4096);
    } catch {}
  }
  if (r.message) return r.message;
  if (c.terminationMessagePolicy === "FallbackToLogsOnError" && r.exitCode !== 0 && r.logPath) {
    try {
      const lines = readFileSync(r.logPath, "utf8").trimEnd().split("\n").slice(-80);
      return lines
        .map((l) => l.split(" ").slice(3).join(" "))
        .join("\n")
        .slice(-2048);
    } catch {}
  }
  return undefined;
}

export function terminationLogPath(podDir: string, container: string, attempt: number): string {
  return `${podDir}/containers/${container}/${attempt}.termination-log`;
}

function terminated(r: ContainerRecord, c: Container, podDir?: string): core.ContainerStateTerminated {
  const reason = r.reason || (r.exitCode === 0 ? "Completed" : "Error");
  const message = terminationMessage(r, c, podDir);
  return {
    exitCode: r.exitCode,
    reason,
    ...(message ? { message } : {}),
    startedAt: nsToIso(r.startedAt),
    finishedAt: nsToIso(r.finishedAt),
    containerID: `containerd://${r.id}`,
  };
}

function containerStatus(
  c: Container,
  records: ContainerRecord[],
  sandboxId: string | undefined,
  inp: StatusInputs,
): core.ContainerStatus {
  const current = records.find((r) => r.sandboxId === sandboxId) ?? records[0];
  const previous = current ? records.find((r) => r !== current && r.state === "CONTAINER_EXITED") : undefined;
  const waiting = inp.waiting.get(c.name);
  const status: core.ContainerStatus = {
    name: c.name,
    image: c.image ?? "",
    imageID: current?.imageRef ?? "",
    ready: false,
    restartCount: current?.attempt ?? 0,
    started: false,
    state: {},
    lastState: {},
  };
  if (current) status.containerID = `containerd://${current.id}`;
  if (waiting && current?.state !== "CONTAINER_RUNNING") {
    status.state = { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } };
    if (current?.state === "CONTAINER_EXITED") status.lastState = { terminated: terminated(current, c, inp.podDir) };
    else if (previous) status.lastState = { terminated: terminated(previous, c, inp.podDir) };
    return status;
  }
  if (previous) status.lastState = { terminated: terminated(previous, c, inp.podDir) };
  if (!current || current.state === "CONTAINER_CREATED" || current.state === "CONTAINER_UNKNOWN") {
    status.state = { waiting: { reason: "ContainerCreating" } };
  } else if (current.state === "CONTAINER_RUNNING") {
    status.state = { running: { startedAt: nsToIso(current.startedAt) } };
    status.started = inp.started(c, current);
    status.ready = status.started && inp.ready(c, current);
  } else {
    status.state = { terminated: terminated(current, c, inp.podDir) };
  }
  return status;
}

/** Upstream's getPhase over the regular containers' statuses. */
export function podPhase(
  pod: Pod,
  statuses: core.ContainerStatus[],
  initialized: boolean,
): NonNullable<PodStatus["phase"]> {
  if (!initialized) return "Pending";
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  const policy = pod.spec?.restartPolicy ?? "Always";
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

function condition(
  type: string,
  ok: boolean,
  previous: core.PodCondition[] | undefined,
  reason?: string,
): core.PodCondition {
  const status = ok ? "True" : "False";
  const prev = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now(),
    ...(!ok && reason ? { reason } : {}),
  };
}

export function computePodStatus(inp: StatusInputs): PodStatus {
  const { pod, rt } = inp;
  const sandboxId = rt.sandbox?.id;
  const prev = pod.status ?? {};
  const initStatuses = (pod.spec?.initContainers ?? []).map((c) =>
    containerStatus(c, rt.containers.get(c.name) ?? [], sandboxId, inp),
  );
  const statuses = (pod.spec?.containers ?? []).map((c) =>
    containerStatus(c, rt.containers.get(c.name) ?? [], sandboxId, inp),
  );
  // Ephemeral containers count for nothing in phase or readiness; they are never ready (upstream).
  const ephemeralStatuses = (pod.spec?.ephemeralContainers ?? []).map((ec) => ({
    ...containerStatus(asContainer(ec), rt.containers.get(ec.name) ?? [], sandboxId, inp),
    ready: false,
  }));
  const inits = pod.spec?.initContainers ?? [];
  const sidecarStatuses = initStatuses.filter((_, i) => isSidecar(inits[i] as Container));
  const regularInitStatuses = initStatuses.filter((_, i) => !isSidecar(inits[i] as Container));
  // A regular init container is ready once it succeeded; a sidecar's readiness comes from its probes.
  for (const s of regularInitStatuses) s.ready = s.state?.terminated?.exitCode === 0;
  const initialized =
    mainContainersCreated(pod, rt) ||
    (regularInitStatuses.every((s) => s.ready) && sidecarStatuses.every((s) => s.started));
  let phase = inp.terminalPhase ?? podPhase(pod, statuses, initialized);
  const initFailed = regularInitStatuses.some((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);
  if (initFailed && pod.spec?.restartPolicy === "Never") phase = "Failed";
  if (prev.phase === "Succeeded" || prev.phase === "Failed") phase = prev.phase;
  const containersReady =
    statuses.length > 0 && statuses.every((s) => s.ready) && sidecarStatuses.every((s) => s.ready);
  const gatesOk = (pod.spec?.readinessGates ?? []).every(
    (g) => prev.conditions?.find((c) => c.type === g.conditionType)?.status === "True",
  );
  const terminal = phase === "Succeeded" || phase === "Failed";
  const sandboxReady = rt.sandbox?.state === "SANDBOX_READY";
  const keep = (prev.conditions ?? []).filter(
    (c) => !["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"].includes(c.type),
  );
  const scheduled =
    prev.conditions?.find((c) => c.type === "PodScheduled") ?? condition("PodScheduled", true, undefined);
  const conditions = [
    condition("PodReadyToStartContainers", sandboxReady, prev.conditions),
    condition("Initialized", initialized, prev.conditions, "ContainersNotInitialized"),
    condition(
      "Ready",
      !terminal && containersReady && gatesOk,
      prev.conditions,
      terminal ? "PodCompleted" : "ContainersNotReady",
    ),
    condition(
      "ContainersReady",
      !terminal && containersReady,
      prev.conditions,
      terminal ? "PodCompleted" : "ContainersNotReady",
    ),
    scheduled,
    ...keep,
  ];
  const podIP = pod.spec?.hostNetwork ? inp.nodeIp : (rt.sandbox?.network?.ip ?? prev.podIP);
  const status: PodStatus = {
    phase,
    conditions,
    hostIP: inp.nodeIp,
    hostIPs: [{ ip: inp.nodeIp }],
    startTime: prev.startTime ?? now(),
    qosClass: qosClass(pod.spec ?? { containers: [] }),
    initContainerStatuses: initStatuses.length ? initStatuses : undefined,
    containerStatuses: statuses,
    ephemeralContainerStatuses: ephemeralStatuses.length ? ephemeralStatuses : undefined,
  };
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }, ...(rt.sandbox?.network?.additionalIps ?? []).map((a) => ({ ip: a.ip }))];
  }
  if (inp.reason) status.reason = inp.reason;
  if (inp.message) status.message = inp.message;
  return status;
}

/** JSON with object keys sorted, so two statuses compare equal whatever order the server kept their fields in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Whether `next` says anything `prev` does not (ignoring condition times and field order), to skip needless writes. */
export function podStatusChanged(prev: PodStatus | undefined, next: PodStatus): boolean {
  const strip = (s: PodStatus | undefined) =>
    canonical({
      ...s,
      conditions: (s?.conditions ?? [])
        .map((c) => `${c.type}=${c.status}/${c.reason ?? ""}`)
        .sort()
        .join(","),
    });
  return strip(prev) !== strip(next);
}
