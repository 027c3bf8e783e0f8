// Pod statuses a hollow node reports as if a kubelet ran the pod's containers: running (init containers done),
// finished, crashed into CrashLoopBackOff, and restarted. Pure object logic over the pod; no API calls.

import type { core, Pod } from "../api/types.ts";

/** RFC 3339 to the second, as the kubelet writes condition and container times. */
export const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/** The status a kubelet reports for a pod whose containers all started (init containers completed). */
export function runningStatus(pod: Pod, hostIP: string, podIP: string, startedAt: string): core.PodStatus {
  const cond = (type: string) => ({
    type,
    status: "True",
    lastProbeTime: null as unknown as string,
    lastTransitionTime: startedAt,
  });
  const container = (c: core.Container, running: boolean): core.ContainerStatus => ({
    name: c.name,
    image: c.image ?? "",
    imageID: `fake://${c.image}`,
    containerID: `fake://${pod.metadata?.uid}/${c.name}`,
    ready: running,
    restartCount: 0,
    started: running,
    state: running
      ? { running: { startedAt } }
      : { terminated: { exitCode: 0, reason: "Completed", startedAt, finishedAt: startedAt } },
  });
  return {
    phase: "Running",
    conditions: ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map(cond),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: startedAt,
    // Sidecars (init containers with restartPolicy Always) keep running; the others have completed.
    initContainerStatuses: pod.spec?.initContainers?.map((c) => container(c, c.restartPolicy === "Always")),
    containerStatuses: (pod.spec?.containers ?? []).map((c) => container(c, true)),
    qosClass: pod.status?.qosClass,
  };
}

/** The pod's status with every container status changed by `change`. */
function withContainers(pod: Pod, change: (s: core.ContainerStatus) => Partial<core.ContainerStatus>): core.PodStatus {
  return {
    ...pod.status,
    containerStatuses: (pod.status?.containerStatuses ?? []).map((s) => ({ ...s, ...change(s) })),
  };
}

/** The status of a pod whose containers exited with `exitCode`. */
export function finishedStatus(pod: Pod, exitCode: number): core.PodStatus {
  const finishedAt = now();
  const reason = exitCode === 0 ? "Completed" : "Error";
  const conditions = (pod.status?.conditions ?? []).map((c) =>
    c.type === "Ready" || c.type === "ContainersReady"
      ? { ...c, status: "False", reason: "PodCompleted", lastTransitionTime: finishedAt }
      : c,
  );
  const status = withContainers(pod, (s) => ({
    ready: false,
    started: false,
    state: {
      terminated: { exitCode, reason, startedAt: s.state?.running?.startedAt, finishedAt, containerID: s.containerID },
    },
  }));
  return { ...status, phase: exitCode === 0 ? "Succeeded" : "Failed", conditions };
}

/** Containers that exited with `exitCode` and wait in CrashLoopBackOff for their restart (restartPolicy OnFailure). */
export function crashedStatus(pod: Pod, exitCode: number): core.PodStatus {
  const finishedAt = now();
  return withContainers(pod, (s) => ({
    ready: false,
    restartCount: (s.restartCount ?? 0) + 1,
    lastState: { terminated: { exitCode, reason: "Error", startedAt: s.state?.running?.startedAt, finishedAt } },
    state: { waiting: { reason: "CrashLoopBackOff", message: `back-off restarting failed container ${s.name}` } },
  }));
}

/** The same containers running again. */
export function restartedStatus(pod: Pod): core.PodStatus {
  const startedAt = now();
  return withContainers(pod, () => ({ ready: true, state: { running: { startedAt } } }));
}
