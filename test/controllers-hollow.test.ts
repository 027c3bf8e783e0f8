// Controllers with the scheduler and hollow nodes against a real API server, driven by the real kubectl:
// rolling updates keep maxUnavailable, rollout undo, StatefulSet order, Job backoffLimit, and a node whose
// lease stops goes NotReady while its pods are recreated elsewhere.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { type HollowNodes, startHollowNodes } from "../src/agent/hollow.ts";
import type { Deployment, Job, Node, PersistentVolumeClaim, Pod, ReplicaSet } from "../src/api/types.ts";
import {
  deployments,
  inNamespace,
  jobs,
  nodes,
  persistentvolumeclaims,
  pods,
  replicasets,
  storageclasses,
} from "../src/client/refs.ts";
import { waitFor } from "../src/client/testing.ts";
import type { KubeClient } from "../src/client/types.ts";
import type { RunningControllers } from "../src/controllers/index.ts";
import { localPathStorageClass } from "../src/controllers/localpath.ts";
import { startTestControllers, startTestServer, type TestServer } from "../src/controllers/testing/server.ts";
import { type SchedulerHandle, startScheduler } from "../src/scheduler/scheduler.ts";

let k: TestServer;
let client: KubeClient;
let controllers: RunningControllers;
let scheduler: SchedulerHandle;
let hollow: HollowNodes;

const startTheControllers = () =>
  startTestControllers(k, {
    dataDir: k.dataDir,
    // Short enough for the lease test, long enough that a loaded machine's stalls (hollow leases renew every
    // 300 ms from this process) do not turn healthy nodes Unknown mid-rollout.
    nodeLifecycle: { gracePeriodMs: 8000, monitorPeriodMs: 500 },
  });

beforeAll(async () => {
  k = await startTestServer();
  client = k.client;
  controllers = startTheControllers();
  scheduler = startScheduler(client);
  hollow = startHollowNodes(client, { count: 3, readyDelayMs: 50, renewIntervalMs: 300, jobPodRunMs: 50 });
  await Promise.all([controllers.ready, scheduler.ready, hollow.ready]);
  // k3s ships the default local-path StorageClass as a manifest; the provisioner creates it only when allowed to.
  await client.create(storageclasses, localPathStorageClass()).catch(() => undefined);
}, 90_000);

afterAll(async () => {
  await hollow?.stop();
  await scheduler?.stop();
  await controllers?.stop();
  await k?.stop();
});

const kubectl = (...args: string[]) => k.kubectl(...args);
const apply = (yaml: string) =>
  new Promise<string>((resolve, reject) => {
    const p = Bun.spawn(["/usr/bin/kubectl", "apply", "-f", "-"], {
      stdin: new TextEncoder().encode(yaml),
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, KUBECONFIG: k.kubeconfig },
    });
    Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]).then(([out, err, code]) =>
      code === 0 ? resolve(out) : reject(new Error(`kubectl apply: ${err}`)),
    );
  });

const livePods = async (selector: string) =>
  (await client.list<Pod>(inNamespace(pods, "default"), { labelSelector: selector })).items.filter(
    (p) => !p.metadata?.deletionTimestamp,
  );
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

function deploymentYaml(name: string, image: string, extra = ""): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 4
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: ${image}
${extra}`;
}

test("a rolling update keeps maxUnavailable; rollout undo restores the previous template", async () => {
  await apply(deploymentYaml("web", "nginx:1"));
  await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  expect((await livePods("app=web")).filter(isReady)).toHaveLength(4);

  let minReady = 4;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      minReady = Math.min(minReady, (await livePods("app=web")).filter(isReady).length);
      await Bun.sleep(5);
    }
  })();
  await kubectl("set", "image", "deployment/web", "web=nginx:2");
  await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  watching = false;
  await watcher;
  expect(minReady).toBeGreaterThanOrEqual(3);
  const images = (await livePods("app=web")).map((p) => p.spec?.containers[0].image);
  expect(images).toEqual(["nginx:2", "nginx:2", "nginx:2", "nginx:2"]);

  await kubectl("rollout", "undo", "deployment/web");
  await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  const d = await client.get<Deployment>(inNamespace(deployments, "default"), "web");
  expect(d.spec?.template?.spec?.containers[0].image).toBe("nginx:1");
  expect(d.metadata?.annotations?.["deployment.kubernetes.io/revision"]).toBe("3");
  const history = await kubectl("rollout", "history", "deployment/web");
  expect(history).toMatch(/\n2\s/);
  expect(history).toMatch(/\n3\s/);
}, 120_000);

test("controllers restarted mid-rollout converge to the same end state", async () => {
  await apply(deploymentYaml("restart", "nginx:1").replace("replicas: 4", "replicas: 6"));
  await kubectl("rollout", "status", "deployment/restart", "--timeout=60s");
  const sets = async () =>
    (await client.list<ReplicaSet>(inNamespace(replicasets, "default"), { labelSelector: "app=restart" })).items;
  await kubectl("set", "image", "deployment/restart", "web=nginx:2");
  // Mid-rollout: both ReplicaSets have replicas.
  await waitFor(async () => {
    const list = await sets();
    return list.length === 2 && list.every((rs) => (rs.spec?.replicas ?? 0) > 0);
  }, "rollout under way");
  await controllers.stop();
  controllers = startTheControllers();
  await controllers.ready;
  await kubectl("rollout", "status", "deployment/restart", "--timeout=60s");
  const final = await sets();
  expect(final.map((rs) => [rs.spec?.template?.spec?.containers[0].image, rs.spec?.replicas]).sort()).toEqual([
    ["nginx:1", 0],
    ["nginx:2", 6],
  ]);
  const images = (await livePods("app=restart")).map((p) => p.spec?.containers[0].image);
  expect(images).toEqual(Array(6).fill("nginx:2"));
}, 120_000);

test("rollout pause, resume and restart; a stuck rollout exceeds its progress deadline", async () => {
  await apply(deploymentYaml("paused", "nginx:1"));
  await kubectl("rollout", "status", "deployment/paused", "--timeout=60s");
  const rsCount = async () =>
    (await client.list(inNamespace(replicasets, "default"), { labelSelector: "app=paused" })).items.length;
  await kubectl("rollout", "pause", "deployment/paused");
  await kubectl("set", "image", "deployment/paused", "web=nginx:2");
  await waitFor(async () => {
    const d = await client.get<Deployment>(inNamespace(deployments, "default"), "paused");
    return (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  }, "paused change observed");
  expect(await rsCount()).toBe(1);
  await kubectl("rollout", "resume", "deployment/paused");
  await kubectl("rollout", "status", "deployment/paused", "--timeout=60s");
  expect(await rsCount()).toBe(2);
  await kubectl("rollout", "restart", "deployment/paused");
  await kubectl("rollout", "status", "deployment/paused", "--timeout=60s");
  expect(await rsCount()).toBe(3);
  const d = await client.get<Deployment>(inNamespace(deployments, "default"), "paused");
  expect(d.metadata?.annotations?.["deployment.kubernetes.io/revision"]).toBe("3");

  // No node matches: the new pods never run, so the rollout stops progressing.
  await apply(
    `${deploymentYaml("stuck", "nginx", "      nodeSelector: {disk: none}\n")}`.replace(
      "replicas: 4",
      "replicas: 1\n  progressDeadlineSeconds: 1",
    ),
  );
  const out = await k
    .kubectl("rollout", "status", "deployment/stuck", "--timeout=60s")
    .catch((err: Error) => err.message);
  expect(out).toContain('deployment "stuck" exceeded its progress deadline');
}, 120_000);

test("a DaemonSet follows nodes joining and leaving", async () => {
  await apply(`apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: agent
`);
  const readyOn = async () =>
    (await livePods("app=agent"))
      .filter(isReady)
      .map((p) => p.spec?.nodeName)
      .sort();
  await waitFor(async () => (await readyOn()).length === 3, "one pod on each of 3 nodes", 30_000);
  const extra = startHollowNodes(client, { count: 1, namePrefix: "extra-", readyDelayMs: 20, deleteNodesOnStop: true });
  await extra.ready;
  await waitFor(async () => (await readyOn()).includes("extra-0"), "pod on the joining node", 30_000);
  await kubectl("rollout", "status", "daemonset/agent", "--timeout=60s");
  await extra.stop();
  await waitFor(
    async () => (await livePods("app=agent")).every((p) => p.spec?.nodeName !== "extra-0"),
    "pod gone with its node",
    30_000,
  );
  expect(await readyOn()).toHaveLength(3);
}, 120_000);

test("a StatefulSet creates db-0 before db-1, each with a local-path volume", async () => {
  await apply(`apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1Gi}
`);
  await kubectl("rollout", "status", "statefulset/db", "--timeout=60s");
  const [db0, db1] = (await livePods("app=db")).sort((a, b) =>
    (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""),
  );
  expect([db0.metadata?.name, db1.metadata?.name]).toEqual(["db-0", "db-1"]);
  const ready0 = db0.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime ?? "";
  expect((db1.metadata?.creationTimestamp ?? "") >= ready0).toBe(true);
  const claims = (await client.list(inNamespace(persistentvolumeclaims, "default"))).items
    .map((c) => c.metadata?.name)
    .sort();
  expect(claims).toEqual(["data-db-0", "data-db-1"]);
  const bound = (await client.list<PersistentVolumeClaim>(inNamespace(persistentvolumeclaims, "default"))).items;
  expect(bound.map((c) => [c.spec?.storageClassName, c.status?.phase])).toEqual([
    ["local-path", "Bound"],
    ["local-path", "Bound"],
  ]);
}, 120_000);

test("a Job whose pods fail honours backoffLimit", async () => {
  await apply(`apiVersion: batch/v1
kind: Job
metadata:
  name: failing
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations: {hollow.k3lite.io/exit-code: "1", hollow.k3lite.io/run-ms: "50"}
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
`);
  await kubectl("wait", "--for=condition=failed", "job/failing", "--timeout=60s");
  const job = await client.get<Job>(inNamespace(jobs, "default"), "failing");
  expect(job.status?.conditions?.find((c) => c.type === "Failed")?.reason).toBe("BackoffLimitExceeded");
  expect(job.status?.failed).toBe(1);
}, 120_000);

test("a node whose lease stops goes NotReady and its pods are recreated elsewhere", async () => {
  const tolerations = `      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
`;
  await apply(deploymentYaml("heal", "nginx", tolerations));
  await kubectl("rollout", "status", "deployment/heal", "--timeout=60s");
  const victim = (await livePods("app=heal"))[0].spec?.nodeName ?? "";
  hollow.stopHeartbeat(victim);
  await waitFor(
    async () => {
      const n = await client.get<Node>(nodes, victim);
      return n.status?.conditions?.find((c) => c.type === "Ready")?.status === "Unknown";
    },
    "node Ready=Unknown",
    30_000,
  );
  expect(await kubectl("get", "node", victim)).toContain("NotReady");
  await waitFor(
    async () => {
      const live = await livePods("app=heal");
      return live.length === 4 && live.every((p) => isReady(p) && p.spec?.nodeName !== victim);
    },
    "pods recreated on other nodes",
    60_000,
  );
  hollow.resumeHeartbeat(victim);
}, 120_000);
