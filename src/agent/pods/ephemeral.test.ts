// Ephemeral containers in the pod worker's plan and in the computed status: started once, only when their
// target runs, joined to its PID namespace, reported never ready and left out of the pod's phase and readiness.

import { expect, test } from "bun:test";
import type { Pod } from "../../api/types.ts";
import { ephemeralToStart, targetPidNamespace } from "./ephemeral.ts";
import type { ContainerRecord, PodRuntime } from "./runtime.ts";
import { computePodStatus } from "./status.ts";

const record = (name: string, state: ContainerRecord["state"], sandboxId = "sb"): ContainerRecord => ({
  id: `${name}-id`,
  name,
  sandboxId,
  attempt: 0,
  state,
  createdAt: 1e9,
  startedAt: 1e9,
  finishedAt: state === "CONTAINER_EXITED" ? 2e9 : 0,
  exitCode: 0,
  reason: "",
  message: "",
  image: "busybox",
  imageRef: "sha256:1",
  hash: "",
  logPath: "",
  terminationMessagePath: "",
});

const runtime = (records: ContainerRecord[]): PodRuntime => ({
  sandboxes: [],
  sandbox: { id: "sb", state: "SANDBOX_READY" } as PodRuntime["sandbox"],
  containers: new Map(records.map((r) => [r.name, [r]])),
});

const pod = {
  metadata: { name: "p", uid: "u" },
  spec: {
    containers: [{ name: "app", image: "busybox" }],
    ephemeralContainers: [
      { name: "dbg", image: "busybox", targetContainerName: "app", stdin: true, tty: true },
      { name: "plain", image: "busybox" },
    ],
  },
} as Pod;

test("an ephemeral container starts once, with its target's ID, and waits for a target that is not running", () => {
  const plan = ephemeralToStart(pod, runtime([record("app", "CONTAINER_RUNNING")]));
  expect(plan.map((p) => [p.container.name, p.targetId])).toEqual([
    ["dbg", "app-id"],
    ["plain", undefined],
  ]);
  expect(plan[0]?.container).toEqual({ name: "dbg", image: "busybox", stdin: true, tty: true });
  // The target exited: the targeted one waits; one that ever ran (even in an old sandbox) is never started again.
  const later = ephemeralToStart(
    pod,
    runtime([record("app", "CONTAINER_EXITED"), record("plain", "CONTAINER_EXITED", "old-sandbox")]),
  );
  expect(later).toEqual([]);
  expect(targetPidNamespace({ network: "POD", pid: "CONTAINER", ipc: "POD" }, "app-id")).toEqual({
    network: "POD",
    pid: "TARGET",
    ipc: "POD",
    targetId: "app-id",
  });
});

test("ephemeral container statuses are reported, never ready, and do not change the pod's readiness", () => {
  const status = computePodStatus({
    pod,
    rt: runtime([record("app", "CONTAINER_RUNNING"), record("dbg", "CONTAINER_EXITED")]),
    nodeIp: "10.0.0.1",
    waiting: new Map([["plain", { reason: "ErrImagePull", message: "no such image" }]]),
    ready: () => true,
    started: () => true,
  });
  expect(status.phase).toBe("Running");
  expect(status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  const [dbg, plain] = status.ephemeralContainerStatuses ?? [];
  expect(dbg).toMatchObject({
    name: "dbg",
    ready: false,
    containerID: "containerd://dbg-id",
    imageID: "sha256:1",
    state: { terminated: { exitCode: 0, reason: "Completed" } },
  });
  expect(plain).toMatchObject({ name: "plain", ready: false, state: { waiting: { reason: "ErrImagePull" } } });
});
