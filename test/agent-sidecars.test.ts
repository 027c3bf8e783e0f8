// Pod features of the node agent on real containerd, against the in-memory API: native sidecar containers
// (init containers with restartPolicy Always), activeDeadlineSeconds, and gRPC probes (a health server the
// test runs on the host, reached by a hostNetwork pod's probe).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { HEALTH_SERVICE } from "../src/agent/pods/grpc-probe.ts";
import type { Container, Pod } from "../src/api/types.ts";
import type { FakeCluster } from "../src/client/fake.ts";
import { inNamespace, pods } from "../src/client/refs.ts";
import { type AgentFixture, busyboxContainer, startFakeClusterAgent, waitPod as waitPodOn } from "./agent-fixture.ts";
import { waitFor } from "./harness.ts";

const ns = "default";
const podsRef = inNamespace(pods, ns);
let fx: AgentFixture & { fake: FakeCluster };
let fake: FakeCluster;
let hostDir: string;

beforeAll(async () => {
  hostDir = mkdtempSync(join(tmpdir(), "k3lite-sidecars-"));
  fx = await startFakeClusterAgent({ nodeName: "sidecar-node" });
  fake = fx.fake;
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
}, 60_000);

function pod(name: string, spec: Partial<NonNullable<Pod["spec"]>>): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, uid: crypto.randomUUID() },
    spec: { nodeName: fx.config.nodeName, terminationGracePeriodSeconds: 0, containers: [], ...spec },
  } as Pod;
}

const createPod = (...args: Parameters<typeof pod>) => fake.client.create(podsRef, pod(...args));
const condition = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type)?.status;
const waitPod = (name: string, what: string, check: (p: Pod) => unknown, timeoutMs = 40_000) =>
  waitPodOn(fake.client, name, what, check, timeoutMs);
const initStatus = (p: Pod, name: string) => p.status?.initContainerStatuses?.find((s) => s.name === name);

/** A sidecar: an init container that keeps running (restartPolicy Always). */
const sidecar = (name: string, command: string[], extra: Partial<Container> = {}): Container =>
  busyboxContainer(name, command, { restartPolicy: "Always", ...extra });

/** A subdirectory of the test's host dir, mounted at /host (the test reads and writes it from outside). */
function hostVolume(sub: string) {
  const path = join(hostDir, sub);
  return {
    volume: { name: "host", hostPath: { path, type: "DirectoryOrCreate" } },
    mount: { name: "host", mountPath: "/host" },
    path,
  };
}

const shared = { name: "shared", mountPath: "/shared" };
const sharedVolume = { name: "shared", emptyDir: {} };

test("a sidecar starts before the next init container, runs beside the main one and counts in Ready", async () => {
  const host = hostVolume("ready");
  await createPod("with-sidecar", {
    initContainers: [
      sidecar("proxy", ["sh", "-c", "touch /shared/up; exec sleep 3600"], {
        volumeMounts: [shared, host.mount],
        readinessProbe: { exec: { command: ["test", "-f", "/host/ready"] }, periodSeconds: 1 },
      }),
      // Ends only while the sidecar runs: a sidecar waited for like a regular init container never would.
      busyboxContainer("wait-proxy", ["sh", "-c", "until test -f /shared/up; do sleep 0.1; done"], {
        volumeMounts: [shared],
      }),
    ],
    containers: [busyboxContainer("app", ["sleep", "3600"])],
    volumes: [sharedVolume, host.volume],
  });
  let p = await waitPod(
    "with-sidecar",
    "Running with the sidecar started",
    (x) => x.status?.phase === "Running" && initStatus(x, "proxy")?.started,
  );
  expect(initStatus(p, "proxy")?.state?.running).toBeDefined();
  expect(initStatus(p, "wait-proxy")?.state?.terminated?.exitCode).toBe(0);
  expect(condition(p, "Initialized")).toBe("True");
  // The main container is ready, the sidecar is not: the pod is not Ready.
  p = await waitPod("with-sidecar", "app ready", (x) => x.status?.containerStatuses?.[0]?.ready);
  expect(initStatus(p, "proxy")?.ready).toBe(false);
  expect(condition(p, "Ready")).toBe("False");

  writeFileSync(join(host.path, "ready"), "");
  p = await waitPod("with-sidecar", "Ready", (x) => condition(x, "Ready") === "True");
  expect(initStatus(p, "proxy")?.ready).toBe(true);
}, 60_000);

test("a sidecar with a startup probe holds the next init container until the probe passes", async () => {
  const host = hostVolume("startup");
  await createPod("sidecar-startup", {
    initContainers: [
      sidecar("proxy", ["sleep", "3600"], {
        volumeMounts: [host.mount],
        startupProbe: { exec: { command: ["test", "-f", "/host/started"] }, periodSeconds: 1, failureThreshold: 600 },
      }),
      busyboxContainer("next", ["true"]),
    ],
    containers: [busyboxContainer("app", ["sleep", "3600"])],
    volumes: [host.volume],
  });
  let p = await waitPod("sidecar-startup", "sidecar running", (x) => initStatus(x, "proxy")?.state?.running);
  // Give the worker a few probe periods: the next init container must not start meanwhile.
  await Bun.sleep(2500);
  p = await fake.client.get<Pod>(podsRef, "sidecar-startup");
  expect(initStatus(p, "proxy")?.started).toBe(false);
  expect(initStatus(p, "next")?.state?.terminated).toBeUndefined();
  expect(p.status?.phase).toBe("Pending");
  expect(condition(p, "Initialized")).toBe("False");

  writeFileSync(join(host.path, "started"), "");
  p = await waitPod("sidecar-startup", "Running", (x) => x.status?.phase === "Running");
  expect(initStatus(p, "proxy")?.started).toBe(true);
  expect(initStatus(p, "next")?.state?.terminated?.exitCode).toBe(0);
}, 60_000);

test("a sidecar is restarted under restartPolicy Never; a job pod succeeds when its main container ends and its sidecar is stopped gracefully", async () => {
  await createPod("job-with-sidecar", {
    restartPolicy: "Never",
    terminationGracePeriodSeconds: 30,
    initContainers: [
      // Exits once, then runs (marking that it was restarted) until SIGTERM, which it answers with exit 0.
      sidecar(
        "log-shipper",
        [
          "sh",
          "-c",
          "if test -f /shared/once; then touch /shared/restarted; trap 'exit 0' TERM; sleep 3600 & wait; fi; touch /shared/once; exit 1",
        ],
        { volumeMounts: [shared] },
      ),
    ],
    containers: [
      busyboxContainer("main", ["sh", "-c", "until test -f /shared/restarted; do sleep 0.1; done"], {
        volumeMounts: [shared],
      }),
    ],
    volumes: [sharedVolume],
  });
  let p = await waitPod("job-with-sidecar", "Succeeded", (x) => x.status?.phase === "Succeeded");
  expect(initStatus(p, "log-shipper")?.restartCount).toBeGreaterThanOrEqual(1);
  expect(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
  // The sidecar, still running when the main container ended, gets SIGTERM (exit 0, not SIGKILL's 137), and the
  // final status says so.
  p = await waitPod("job-with-sidecar", "sidecar stopped", (x) => initStatus(x, "log-shipper")?.state?.terminated);
  expect(initStatus(p, "log-shipper")?.state?.terminated?.exitCode).toBe(0);
  expect(p.status?.phase).toBe("Succeeded");
}, 60_000);

test("on deletion the sidecars stop after the main containers, in reverse order", async () => {
  const host = hostVolume("order");
  // Each records its SIGTERM in a host file; `sleep & wait` lets the shell run the trap at once.
  const recorder = (name: string, delay: string) => [
    "sh",
    "-c",
    `trap 'sleep ${delay}; echo ${name} >> /host/order; exit 0' TERM; sleep 3600 & wait`,
  ];
  const mounts = { volumeMounts: [host.mount] };
  await createPod("ordered", {
    terminationGracePeriodSeconds: 20,
    initContainers: [
      sidecar("first", recorder("first", "0"), mounts),
      sidecar("second", recorder("second", "0"), mounts),
    ],
    containers: [busyboxContainer("app", recorder("app", "1"), mounts)],
    volumes: [host.volume],
  });
  await waitPod("ordered", "Running", (x) => x.status?.phase === "Running" && condition(x, "Ready") === "True");
  await fake.client.delete(podsRef, "ordered");
  await waitFor(
    async () =>
      (existsSync(join(host.path, "order")) && readFileSync(join(host.path, "order"), "utf8").split("\n").length > 3) ||
      undefined,
    30_000,
    "all three stopped",
  );
  expect(readFileSync(join(host.path, "order"), "utf8")).toBe("app\nsecond\nfirst\n");
}, 60_000);

test("a pod past activeDeadlineSeconds is killed and Failed with DeadlineExceeded", async () => {
  await createPod("deadline", {
    activeDeadlineSeconds: 3,
    initContainers: [sidecar("helper", ["sleep", "3600"])],
    containers: [busyboxContainer("app", ["sleep", "3600"])],
  });
  await waitPod("deadline", "Running", (x) => x.status?.phase === "Running");
  const p = await waitPod("deadline", "Failed", (x) => x.status?.phase === "Failed");
  expect(p.status?.reason).toBe("DeadlineExceeded");
  expect(p.status?.message).toBe("Pod was active on the node longer than the specified deadline");
  expect(p.status?.containerStatuses?.[0]?.state?.terminated).toBeDefined();
  expect(initStatus(p, "helper")?.state?.terminated).toBeDefined();
  expect(condition(p, "Ready")).toBe("False");
}, 60_000);

test("gRPC probes: a health server answering SERVING makes the pod Ready; nothing serving fails liveness", async () => {
  // A hostNetwork pod's IP is the node's: the probe reaches this health server, run by the test on the host.
  const server = new grpc.Server();
  server.addService(HEALTH_SERVICE, {
    Check: (_: unknown, done: grpc.sendUnaryData<{ status: string }>) => done(null, { status: "SERVING" }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("0.0.0.0:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  try {
    await createPod("grpc-healthy", {
      hostNetwork: true,
      containers: [
        busyboxContainer("app", ["sleep", "3600"], { readinessProbe: { grpc: { port }, periodSeconds: 1 } }),
      ],
    });
    await createPod("grpc-unhealthy", {
      containers: [
        busyboxContainer("app", ["sleep", "3600"], {
          readinessProbe: { grpc: { port: 50051 }, periodSeconds: 1 },
          livenessProbe: { grpc: { port: 50051, service: "app" }, periodSeconds: 1, failureThreshold: 1 },
        }),
      ],
    });
    await waitPod("grpc-healthy", "Ready", (x) => condition(x, "Ready") === "True");
    const p = await waitPod(
      "grpc-unhealthy",
      "restarted",
      (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
    expect(p.status?.containerStatuses?.[0]?.ready).toBe(false);
    expect(condition(p, "Ready")).toBe("False");
  } finally {
    server.forceShutdown();
  }
}, 60_000);
