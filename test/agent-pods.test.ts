// The node agent end to end on real containerd, against the in-memory API (src/client/fake.ts) until the
// real server harness is wired in: node registration and lease, pods running with IPs, env and volumes,
// probes, CrashLoopBackOff, init containers, graceful deletion, logs and exec over the agent's HTTPS port,
// and adoption of running containers when the agent restarts.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCriClient } from "../src/agent/cri/client.ts";
import { startAgent } from "../src/agent/index.ts";
import { rotateLogs } from "../src/agent/pods/log-rotation.ts";
import type { Pod } from "../src/api/types.ts";
import type { FakeCluster } from "../src/client/fake.ts";
import { configmaps, inNamespace, leases, nodes, pods, secrets } from "../src/client/refs.ts";
import { waitFor } from "../src/client/testing.ts";
import {
  type AgentFixture,
  apiServerClientCert,
  busyboxContainer,
  startFakeClusterAgent,
  waitPod as waitPodOn,
  waitPodRunning,
} from "./agent-fixture.ts";

const ns = "default";
const podsRef = inNamespace(pods, ns);
let fx: AgentFixture & { fake: FakeCluster };
let fake: FakeCluster;
let dataDir: string;
let clientCert: { certPem: string; keyPem: string };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "k3lite-agent-pods-"));
  // The API server's client CA, which the agent's HTTPS port trusts (all-in-one layout).
  clientCert = await apiServerClientCert(dataDir);
  fx = await startFakeClusterAgent({
    nodeName: "agent-test-node",
    dataDir,
    nodeLabels: ["example.com/tier=edge"],
    controlPlane: true,
  });
  fake = fx.fake;
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
}, 60_000);

function pod(name: string, spec: Partial<NonNullable<Pod["spec"]>>, extra: Partial<Pod> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, uid: crypto.randomUUID() },
    ...extra,
    spec: { nodeName: fx.config.nodeName, containers: [], ...spec },
  } as Pod;
}

const createPod = (...args: Parameters<typeof pod>) => fake.client.create(podsRef, pod(...args));
const getPod = (name: string) => fake.client.get<Pod>(podsRef, name);
const condition = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type)?.status;
const waitPod = (name: string, what: string, check: (p: Pod) => unknown) => waitPodOn(fake.client, name, what, check);

async function agentFetch(path: string): Promise<Response> {
  return fetch(`https://127.0.0.1:${fx.agent.kubeletPort}${path}`, {
    tls: { cert: clientCert.certPem, key: clientCert.keyPem, rejectUnauthorized: false },
  } as RequestInit);
}

test("registers the node with labels, capacity, nodeInfo and conditions, and holds a lease", async () => {
  const node = await fake.client.get(nodes, fx.config.nodeName);
  expect(node.metadata?.labels?.["node-role.kubernetes.io/control-plane"]).toBe("true");
  expect(node.metadata?.labels?.["kubernetes.io/hostname"]).toBe(fx.config.nodeName);
  expect(node.metadata?.labels?.["example.com/tier"]).toBe("edge");
  expect(node.status?.nodeInfo?.containerRuntimeVersion).toStartWith("containerd://");
  expect(node.status?.allocatable?.pods).toBe("110");
  expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(fx.agent.kubeletPort);
  expect(node.status?.conditions?.find((c: { type: string }) => c.type === "Ready")?.status).toBe("True");
  const lease = await waitFor(
    () => fake.client.get(inNamespace(leases, "kube-node-lease"), fx.config.nodeName),
    "lease",
  );
  expect(lease.spec?.holderIdentity).toBe(fx.config.nodeName);
});

test("runs a pod: IP serves from the host, env and volumes, readiness, logs and exec through the agent", async () => {
  await fake.client.create(inNamespace(configmaps, ns), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "web-config", namespace: ns },
    data: { greeting: "hello", "index.html": "v1" },
  });
  await createPod("web", {
    containers: [
      busyboxContainer("httpd", ["sh", "-c", "echo started $GREETING $MY_POD; exec httpd -f -p 8080 -h /www"], {
        env: [
          { name: "GREETING", valueFrom: { configMapKeyRef: { name: "web-config", key: "greeting" } } },
          { name: "MY_POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        ],
        volumeMounts: [
          { name: "www", mountPath: "/www" },
          { name: "scratch", mountPath: "/scratch" },
        ],
        readinessProbe: { httpGet: { path: "/index.html", port: 8080 }, periodSeconds: 1 },
      }),
    ],
    volumes: [
      { name: "www", configMap: { name: "web-config" } },
      { name: "scratch", emptyDir: {} },
    ],
  });
  const p = await waitPod("web", "Ready", (x) => condition(x, "Ready") === "True");
  expect(p.status?.phase).toBe("Running");
  expect(p.status?.containerStatuses?.[0]?.containerID).toStartWith("containerd://");
  const ip = p.status?.podIP as string;
  expect(await (await fetch(`http://${ip}:8080/index.html`)).text()).toBe("v1");

  const logs = await waitFor(async () => {
    const res = await agentFetch(`/containerLogs/${ns}/web/httpd`);
    const text = await res.text();
    return res.ok && text.includes("started") && text;
  }, "logs");
  expect(logs).toBe("started hello web\n");
  const stamped = await (await agentFetch(`/containerLogs/${ns}/web/httpd?timestamps=true&tailLines=1`)).text();
  expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\S+Z started hello web\n$/);
  expect(
    (
      await fetch(`https://127.0.0.1:${fx.agent.kubeletPort}/containerLogs/${ns}/web/httpd`, {
        tls: { rejectUnauthorized: false },
      } as RequestInit)
    ).status,
  ).toBe(401);

  // Resource usage for kubectl top: the node and this pod's container, from /proc and CRI stats.
  const summary = await (await agentFetch("/stats/summary")).json();
  expect(summary.node.memory.workingSetBytes).toBeGreaterThan(0);
  const webStats = summary.pods.find((x: { podRef: { name: string } }) => x.podRef.name === "web");
  expect(webStats.containers[0].name).toBe("httpd");
  expect(webStats.memory.workingSetBytes).toBeGreaterThan(0);

  // exec over WebSocket (v5.channel.k8s.io): stdout on channel 1, the exit status on channel 3.
  const out = await execWs(`/exec/${ns}/web/httpd?command=cat&command=/etc/hostname&output=1&error=1`);
  expect(out.stdout).toBe("web\n");
  expect(JSON.parse(out.status).status).toBe("Success");
  const failing = await execWs(`/exec/${ns}/web/httpd?command=sh&command=-c&command=exit%203&output=1&error=1`);
  expect(JSON.parse(failing.status).details.causes[0].message).toBe("3");

  // A configMap change shows up in the running pod (atomic ..data swap), on the next resync.
  await fake.client.patch(
    inNamespace(configmaps, ns),
    "web-config",
    { data: { greeting: "hello", "index.html": "v2" } },
    "merge",
  );
  await waitFor(
    async () =>
      (await (await fetch(`http://${ip}:8080/index.html`, { signal: AbortSignal.timeout(3000) })).text()) === "v2",
    "configMap update",
    40_000,
    200,
  );
}, 90_000);

async function execWs(path: string): Promise<{ stdout: string; status: string }> {
  const ws = new WebSocket(`wss://127.0.0.1:${fx.agent.kubeletPort}${path}`, {
    protocols: ["v5.channel.k8s.io"],
    tls: { cert: clientCert.certPem, key: clientCert.keyPem, rejectUnauthorized: false },
  } as unknown as string[]);
  ws.binaryType = "arraybuffer";
  let stdout = "";
  let status = "";
  await new Promise<void>((resolve, reject) => {
    ws.onmessage = (ev) => {
      const bytes = new Uint8Array(ev.data as ArrayBuffer);
      const text = new TextDecoder().decode(bytes.subarray(1));
      if (bytes[0] === 1) stdout += text;
      if (bytes[0] === 3) status += text;
    };
    ws.onclose = () => resolve();
    ws.onerror = () => reject(new Error("websocket error"));
  });
  return { stdout, status };
}

test("a crashing container goes to CrashLoopBackOff with restartCount and lastState", async () => {
  await createPod("crasher", { containers: [busyboxContainer("c", ["sh", "-c", "echo boom; exit 2"])] });
  const p = await waitPod(
    "crasher",
    "CrashLoopBackOff",
    (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CrashLoopBackOff",
  );
  const cs = p.status?.containerStatuses?.[0];
  expect(cs?.restartCount).toBeGreaterThanOrEqual(1);
  expect(cs?.lastState?.terminated?.exitCode).toBe(2);
  expect(cs?.state?.waiting?.message).toContain("back-off 10s");
  expect(p.status?.phase).toBe("Running");
  const previous = await (await agentFetch(`/containerLogs/${ns}/crasher/c?previous=true`)).text();
  expect(previous).toBe("boom\n");
}, 60_000);

test("a failing liveness probe restarts the container", async () => {
  await createPod("unhealthy", {
    containers: [
      busyboxContainer("c", ["sleep", "3600"], {
        livenessProbe: { exec: { command: ["false"] }, periodSeconds: 1, failureThreshold: 1 },
      }),
    ],
    terminationGracePeriodSeconds: 0,
  });
  const p = await waitPod("unhealthy", "restarted", (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toBeDefined();
}, 60_000);

test("init containers run first; restartPolicy Never ends in Succeeded", async () => {
  await createPod("job", {
    restartPolicy: "Never",
    initContainers: [
      busyboxContainer("init", ["sh", "-c", "echo from-init > /work/msg"], {
        volumeMounts: [{ name: "w", mountPath: "/work" }],
      }),
    ],
    containers: [
      busyboxContainer("main", ["sh", "-c", "cat /work/msg"], {
        volumeMounts: [{ name: "w", mountPath: "/work" }],
      }),
    ],
    volumes: [{ name: "w", emptyDir: {} }],
  });
  const p = await waitPod("job", "Succeeded", (x) => x.status?.phase === "Succeeded");
  expect(p.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
  expect(p.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe("Completed");
  expect(await (await agentFetch(`/containerLogs/${ns}/job/main`)).text()).toBe("from-init\n");
}, 60_000);

test("a container over its memory limit is OOMKilled", async () => {
  await createPod("hungry", {
    restartPolicy: "Never",
    containers: [
      busyboxContainer("c", ["sh", "-c", "x=a; while true; do x=$x$x; done"], {
        resources: { limits: { memory: "16Mi" } },
      }),
    ],
  });
  const p = await waitPod("hungry", "terminated", (x) => x.status?.containerStatuses?.[0]?.state?.terminated);
  expect(p.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe("OOMKilled");
  expect(p.status?.phase).toBe("Failed");
}, 60_000);

test("secret, downwardAPI and hostPort: files in the pod and the port on the node", async () => {
  await fake.client.create(inNamespace(secrets, ns), {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: ns },
    data: { password: Buffer.from("s3cret").toString("base64") },
  });
  const hostPort = 20000 + Math.floor(Math.random() * 20000);
  const command =
    "cat /etc/creds/password /etc/info/name > /tmp/out; echo ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp";
  await createPod(
    "files",
    {
      containers: [
        busyboxContainer("c", ["sh", "-c", command], {
          ports: [{ containerPort: 8080, hostPort }],
          volumeMounts: [
            { name: "creds", mountPath: "/etc/creds" },
            { name: "info", mountPath: "/etc/info" },
          ],
        }),
      ],
      volumes: [
        { name: "creds", secret: { secretName: "creds" } },
        { name: "info", downwardAPI: { items: [{ path: "name", fieldRef: { fieldPath: "metadata.name" } }] } },
      ],
    },
    { metadata: { name: "files", namespace: ns, uid: crypto.randomUUID(), labels: { app: "files" } } },
  );
  await waitPodRunning(fake.client, "files");
  const out = await waitFor(async () => {
    const r = await execWs(`/exec/${ns}/files/c?command=cat&command=/tmp/out&output=1`);
    return r.stdout.length > 0 && r.stdout;
  }, "files in the pod");
  expect(out).toBe("s3cretfiles");
  const nodeIp = (await fake.client.get(nodes, fx.config.nodeName)).status?.addresses?.[0]?.address;
  const page = await waitFor(
    async () => (await fetch(`http://${nodeIp}:${hostPort}/index.html`, { signal: AbortSignal.timeout(3000) })).text(),
    "hostPort",
  );
  expect(page).toBe("ok\n");
}, 60_000);

test("runAsNonRoot with a root image is refused; runAsUser runs as that user", async () => {
  await createPod("rootless", {
    securityContext: { runAsNonRoot: true },
    containers: [busyboxContainer("c", ["sleep", "3600"])],
  });
  const refused = await waitPod(
    "rootless",
    "refused",
    (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CreateContainerConfigError",
  );
  expect(refused.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain("image will run as root");
  await createPod("user1000", {
    securityContext: { runAsNonRoot: true, runAsUser: 1000 },
    containers: [busyboxContainer("c", ["sh", "-c", "id -u; sleep 3600"])],
    terminationGracePeriodSeconds: 0,
  });
  await waitPodRunning(fake.client, "user1000");
  const uid = await waitFor(
    async () => (await (await agentFetch(`/containerLogs/${ns}/user1000/c`)).text()) || undefined,
    "id output",
  );
  expect(uid).toBe("1000\n");
}, 60_000);

test("graceful deletion stops the containers and confirms the deletion", async () => {
  await createPod("doomed", {
    containers: [busyboxContainer("c", ["sleep", "3600"])],
    terminationGracePeriodSeconds: 1,
  });
  await waitPodRunning(fake.client, "doomed");
  await fake.client.delete(podsRef, "doomed", { gracePeriodSeconds: 2 });
  await waitFor(
    async () => {
      try {
        await getPod("doomed");
        return false;
      } catch {
        return true;
      }
    },
    "pod object gone",
    30_000,
    100,
  );
}, 60_000);

test("postStart and preStop hooks run (preStop before the container is stopped)", async () => {
  const hostDir = join(dataDir, "hooks");
  await createPod("hooked", {
    terminationGracePeriodSeconds: 5,
    containers: [
      busyboxContainer("c", ["sleep", "3600"], {
        volumeMounts: [{ name: "h", mountPath: "/h" }],
        lifecycle: {
          postStart: { exec: { command: ["sh", "-c", "echo started > /h/post-start"] } },
          preStop: { exec: { command: ["sh", "-c", "echo stopping > /h/pre-stop"] } },
        },
      }),
    ],
    volumes: [{ name: "h", hostPath: { path: hostDir, type: "DirectoryOrCreate" } }],
  });
  await waitPodRunning(fake.client, "hooked");
  await waitFor(() => existsSync(join(hostDir, "post-start")), "postStart ran");
  await fake.client.delete(podsRef, "hooked", { gracePeriodSeconds: 5 });
  // The shell creates the file before echo writes to it: wait for the content, not just the file.
  const preStop = join(hostDir, "pre-stop");
  await waitFor(() => existsSync(preStop) && readFileSync(preStop, "utf8") !== "", "preStop ran", 20_000);
  expect(readFileSync(join(hostDir, "pre-stop"), "utf8")).toBe("stopping\n");
}, 60_000);

test("container logs rotate by size, keeping the newest files, and logs keep flowing", async () => {
  await createPod("chatty", {
    containers: [
      busyboxContainer("c", ["sh", "-c", "while true; do echo 0123456789abcdef0123456789abcdef; sleep 0.01; done"]),
    ],
    terminationGracePeriodSeconds: 0,
  });
  await waitPodRunning(fake.client, "chatty");
  const cri = createCriClient(fx.agent.runtimeEndpoint);
  try {
    let rotations = 0;
    await waitFor(
      async () => {
        rotations += await rotateLogs(cri, 1024, 3);
        return rotations >= 4;
      },
      "four rotations",
      30_000,
      100,
    );
    const dir = join(
      dataDir,
      "agent/logs/pods",
      readdirSync(join(dataDir, "agent/logs/pods")).find((d) => d.includes("_chatty_")) ?? "",
      "c",
    );
    const files = readdirSync(dir);
    expect(files.filter((f) => f.startsWith("0.log.")).length).toBe(2);
    await waitFor(
      async () => (await (await agentFetch(`/containerLogs/${ns}/chatty/c?tailLines=1`)).text()).includes("0123"),
      "logs after rotation",
    );
  } finally {
    cri.close();
  }
}, 60_000);

test("restarting the agent adopts running containers (same IDs, no restarts)", async () => {
  const before = await getPod("web");
  const id = before.status?.containerStatuses?.[0]?.containerID;
  await fx.agent.stop();
  fx.agent = await startAgent(fx.config, fake.client);
  // The restarted agent re-reads CRI; the pod stays Ready on the same container.
  await Bun.sleep(1500);
  const after = await waitPod("web", "Ready", (x) => condition(x, "Ready") === "True");
  expect(after.status?.containerStatuses?.[0]?.containerID).toBe(id);
  expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
}, 60_000);
