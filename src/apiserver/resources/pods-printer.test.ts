// kubectl's pod columns (READY, STATUS, RESTARTS) for native sidecars, as kubectl 1.29+ prints them.
import { expect, test } from "bun:test";
import type { KubeObject } from "../../api/types.ts";
import pods, { podStatusReason } from "./pods.ts";

const cell = (name: string, pod: KubeObject) => pods.columns?.find((c) => c.name === name)?.cell(pod, Date.now());

const running = { running: { startedAt: "2026-11-24T00:00:00Z" } };
const withSidecar = (sidecarStarted: boolean): KubeObject => ({
  metadata: { name: "p" },
  spec: {
    initContainers: [
      { name: "init", image: "x" },
      { name: "proxy", image: "x", restartPolicy: "Always" },
    ],
    containers: [{ name: "app", image: "x" }],
  },
  status: {
    phase: sidecarStarted ? "Running" : "Pending",
    conditions: [{ type: "Initialized", status: sidecarStarted ? "True" : "False" }],
    initContainerStatuses: [
      { name: "init", ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } },
      {
        name: "proxy",
        ready: sidecarStarted,
        started: sidecarStarted,
        restartCount: 2,
        state: sidecarStarted ? running : { waiting: { reason: "PodInitializing" } },
      },
    ],
    containerStatuses: sidecarStarted
      ? [{ name: "app", ready: true, restartCount: 1, state: running }]
      : [{ name: "app", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }],
  },
});

test("a started sidecar does not hold the pod in Init; READY and RESTARTS count it", () => {
  const pod = withSidecar(true);
  expect(podStatusReason(pod)).toBe("Running");
  expect(cell("Ready", pod)).toBe("2/2");
  expect(cell("Restarts", pod)).toBe("3");
});

test("a sidecar not started yet is initialization in progress", () => {
  const pod = withSidecar(false);
  expect(podStatusReason(pod)).toBe("Init:1/2");
  expect(cell("Ready", pod)).toBe("0/2");
});
