// Pod status from CRI state: phase rules, change detection, and native sidecars.

import { expect, test } from "bun:test";
import type { core, Pod, PodStatus } from "../../api/types.ts";
import type { ContainerRecord, PodRuntime } from "./runtime.ts";
import { computePodStatus, podPhase, podStatusChanged } from "./status.ts";

const running: core.ContainerStatus = {
  name: "a",
  image: "",
  imageID: "",
  ready: true,
  restartCount: 0,
  state: { running: {} },
};
const exited = (code: number): core.ContainerStatus => ({
  name: "a",
  image: "",
  imageID: "",
  ready: false,
  restartCount: 0,
  state: { terminated: { exitCode: code } },
});
const crashLooping: core.ContainerStatus = {
  name: "a",
  image: "",
  imageID: "",
  ready: false,
  restartCount: 3,
  state: { waiting: { reason: "CrashLoopBackOff" } },
  lastState: { terminated: { exitCode: 1 } },
};
const creating: core.ContainerStatus = {
  name: "a",
  image: "",
  imageID: "",
  ready: false,
  restartCount: 0,
  state: { waiting: { reason: "ContainerCreating" } },
};
const pod = (restartPolicy: string): Pod => ({ spec: { restartPolicy, containers: [] } }) as Pod;

test("pod phase follows upstream's rules", () => {
  expect(podPhase(pod("Always"), [running], false)).toBe("Pending");
  expect(podPhase(pod("Always"), [creating], true)).toBe("Pending");
  expect(podPhase(pod("Always"), [running, creating], true)).toBe("Pending");
  expect(podPhase(pod("Always"), [running], true)).toBe("Running");
  expect(podPhase(pod("Always"), [crashLooping], true)).toBe("Running");
  expect(podPhase(pod("Always"), [exited(0)], true)).toBe("Running");
  expect(podPhase(pod("Never"), [exited(0), exited(0)], true)).toBe("Succeeded");
  expect(podPhase(pod("Never"), [exited(0), exited(1)], true)).toBe("Failed");
  expect(podPhase(pod("OnFailure"), [exited(0)], true)).toBe("Succeeded");
  expect(podPhase(pod("OnFailure"), [exited(1)], true)).toBe("Running");
});

test("a status the server stored with its fields in another order is unchanged; a new container state is a change", () => {
  const written: PodStatus = { phase: "Running", qosClass: "BestEffort", containerStatuses: [running] };
  const stored: PodStatus = { qosClass: "BestEffort", containerStatuses: [{ ...running }], phase: "Running" };
  expect(podStatusChanged(stored, written)).toBe(false);
  expect(podStatusChanged(stored, { ...written, containerStatuses: [crashLooping] })).toBe(true);
});

// ---- Native sidecars in the computed status ----

const record = (name: string, state: ContainerRecord["state"], exitCode = 0): ContainerRecord => ({
  id: `${name}-id`,
  name,
  sandboxId: "sb",
  attempt: 0,
  state,
  createdAt: 1e9,
  startedAt: 1e9,
  finishedAt: state === "CONTAINER_EXITED" ? 2e9 : 0,
  exitCode,
  reason: "",
  message: "",
  image: "busybox",
  imageRef: "sha256:1",
  hash: "",
  logPath: "",
  terminationMessagePath: "",
});

const sidecarPod = {
  metadata: { name: "p", uid: "u" },
  spec: {
    initContainers: [
      { name: "proxy", image: "busybox", restartPolicy: "Always" },
      { name: "setup", image: "busybox" },
    ],
    containers: [{ name: "app", image: "busybox" }],
  },
} as Pod;

function statusOf(records: ContainerRecord[], proxy: { started: boolean; ready: boolean }): PodStatus {
  const rt: PodRuntime = {
    sandboxes: [],
    sandbox: { id: "sb", state: "SANDBOX_READY" } as PodRuntime["sandbox"],
    containers: new Map(records.map((r) => [r.name, [r]])),
  };
  return computePodStatus({
    pod: sidecarPod,
    rt,
    nodeIp: "10.0.0.1",
    waiting: new Map(),
    ready: (c) => (c.name === "proxy" ? proxy.ready : true),
    started: (c) => (c.name === "proxy" ? proxy.started : true),
  });
}
const cond = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type)?.status;

test("a sidecar not yet started keeps the pod initializing", () => {
  const s = statusOf([record("proxy", "CONTAINER_RUNNING")], { started: false, ready: false });
  expect(s.phase).toBe("Pending");
  expect(cond(s, "Initialized")).toBe("False");
  expect(s.initContainerStatuses?.[0]).toMatchObject({ name: "proxy", started: false, ready: false });
});

test("a running sidecar reports started/ready from its probes and counts in Ready", () => {
  const records = [
    record("proxy", "CONTAINER_RUNNING"),
    record("setup", "CONTAINER_EXITED", 0),
    record("app", "CONTAINER_RUNNING"),
  ];
  const notReady = statusOf(records, { started: true, ready: false });
  expect(notReady.phase).toBe("Running");
  expect(cond(notReady, "Initialized")).toBe("True");
  expect(notReady.initContainerStatuses?.[0]).toMatchObject({ started: true, ready: false });
  expect(notReady.initContainerStatuses?.[1]).toMatchObject({ ready: true });
  expect(cond(notReady, "Ready")).toBe("False");
  const ready = statusOf(records, { started: true, ready: true });
  expect(cond(ready, "ContainersReady")).toBe("True");
  expect(cond(ready, "Ready")).toBe("True");
});

test("a pod whose main container was created stays initialized while its sidecar restarts", () => {
  const s = statusOf(
    [
      record("proxy", "CONTAINER_EXITED", 1),
      record("setup", "CONTAINER_EXITED", 0),
      record("app", "CONTAINER_RUNNING"),
    ],
    { started: false, ready: false },
  );
  expect(cond(s, "Initialized")).toBe("True");
  expect(s.phase).toBe("Running");
});
