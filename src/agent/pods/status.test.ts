import { expect, test } from "bun:test";
import type { core, Pod, PodStatus } from "../../api/types.ts";
import { podPhase, podStatusChanged } from "./status.ts";

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
