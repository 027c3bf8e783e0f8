import { afterAll, afterEach, describe, expect, test } from "bun:test";
import type { Scale } from "kubernetes-types/autoscaling/v1";
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior } from "kubernetes-types/autoscaling/v2";
import type { Deployment, Event, KubeObject, Pod } from "../api/types.ts";
import { inProcessTransport } from "../apiserver/in-process.ts";
import { hpaTargets } from "../apiserver/resources/hpa-targets.ts";
import { useInProcessApi } from "../apiserver/testing.ts";
import { createClient } from "../client/client.ts";
import { createInformerFactory } from "../client/informer.ts";
import { deployments, events, inNamespace, pods } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import type { KubeClient, ResourceRef } from "../client/types.ts";
import { FakeClock, rfc3339 } from "./clock.ts";
import { createEventRecorder } from "./events.ts";
import { type Controller, type ControllerContext, sharedInformerView } from "./framework.ts";
import { hpaRef, metricsApiSource, type PodMetrics, startPodAutoscalerController } from "./podautoscaler.ts";
import { FakeCluster } from "./testing/fake.ts";

const running: Controller[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

/** FakeCluster has no scale subresource: serve deployments/scale from the Deployment, as the API server does. */
function withScale(cluster: FakeCluster): KubeClient {
  const base = cluster.client;
  return {
    ...base,
    async get<T extends KubeObject>(ref: Parameters<KubeClient["get"]>[0], name: string, sub?: string) {
      if (sub !== "scale") return base.get<T>(ref, name, sub);
      const d = await base.get<Deployment>(ref, name);
      const scale: Scale = {
        apiVersion: "autoscaling/v1",
        kind: "Scale",
        metadata: { name, namespace: d.metadata?.namespace, resourceVersion: d.metadata?.resourceVersion },
        spec: { replicas: d.spec?.replicas ?? 1 },
        status: { replicas: d.status?.replicas ?? 0, selector: "app=web" },
      };
      return scale as T;
    },
    async update<T extends KubeObject>(ref: Parameters<KubeClient["update"]>[0], obj: T, opts?: object, sub?: string) {
      if (sub !== "scale") return base.update(ref, obj, opts, sub);
      const name = obj.metadata?.name ?? "";
      await base.patch(ref, name, { spec: { replicas: obj.spec?.replicas } }, "merge");
      return obj;
    },
  };
}

function setup(initialReplicas = 1) {
  const cluster = new FakeCluster();
  const client = withScale(cluster);
  const ctx = { ...cluster.context(), client };
  const samples = new Map<string, string>(); // pod → cpu usage
  const metrics = async (_ns: string, _selector: string): Promise<PodMetrics[]> =>
    [...samples].map(([name, cpu]) => ({
      metadata: { name, namespace: "default" },
      timestamp: rfc3339(cluster.clock.now()),
      window: "15s",
      containers: [{ name: "app", usage: { cpu, memory: "10Mi" } }],
    }));
  const controller = startPodAutoscalerController(ctx, metrics);
  running.push(controller);
  controller.run(1);
  cluster.put<Deployment>(deployments, {
    metadata: { name: "web", namespace: "default" },
    spec: { replicas: initialReplicas, selector: { matchLabels: { app: "web" } }, template: {} },
  });
  const addPod = (name: string) => {
    const started = rfc3339(cluster.clock.now() - 3600_000);
    cluster.put<Pod>(pods, {
      metadata: { name, namespace: "default", labels: { app: "web" } },
      spec: { containers: [{ name: "app", image: "nginx", resources: { requests: { cpu: "100m" } } }] },
      status: {
        phase: "Running",
        startTime: started,
        conditions: [{ type: "Ready", status: "True", lastTransitionTime: started }],
      },
    });
  };
  const createHpa = (behavior?: HorizontalPodAutoscalerBehavior) =>
    cluster.put<HorizontalPodAutoscaler>(hpaRef, {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web", namespace: "default" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
        ],
        ...(behavior ? { behavior } : {}),
      },
    });
  const replicas = () => cluster.objects<Deployment>(deployments)[0]?.spec?.replicas;
  const hpa = () => cluster.objects<HorizontalPodAutoscaler>(hpaRef)[0];
  const condition = (type: string) => hpa()?.status?.conditions?.find((c) => c.type === type);
  return { cluster, ctx, samples, addPod, createHpa, replicas, hpa, condition };
}

test("scales a Deployment up on CPU load, writes status and an event, and down only after the window", async () => {
  const { cluster, ctx, samples, addPod, createHpa, replicas, hpa, condition } = setup();
  addPod("web-1");
  samples.set("web-1", "100m"); // 100% of request against a 50% target
  createHpa();

  await waitFor(() => replicas() === 2, "scale-up to 2");
  await waitFor(() => hpa()?.status?.desiredReplicas === 2, "HPA status");
  const status = hpa()?.status;
  expect(status?.currentReplicas).toBe(1);
  expect(status?.lastScaleTime).toBe(rfc3339(cluster.clock.now()));
  expect(status?.currentMetrics).toEqual([
    { type: "Resource", resource: { name: "cpu", current: { averageUtilization: 100, averageValue: "100m" } } },
  ]);
  expect(condition("AbleToScale")).toMatchObject({ status: "True", reason: "SucceededRescale" });
  expect(condition("ScalingActive")).toMatchObject({ status: "True", reason: "ValidMetricFound" });
  expect(condition("ScalingLimited")).toMatchObject({ status: "False", reason: "DesiredWithinRange" });
  await ctx.recorder.flush();
  const rescale = cluster.objects<Event>(inNamespace(events, "default")).find((e) => e.reason === "SuccessfulRescale");
  expect(rescale?.message).toBe("New size: 2; reason: cpu resource utilization (percentage of request) above target");

  // Load drops: the recommendation is 1, but 2 was recommended within the last 300 s.
  addPod("web-2");
  samples.set("web-1", "5m");
  samples.set("web-2", "5m");
  cluster.clock.step(15_000);
  await waitFor(() => condition("AbleToScale")?.reason === "ScaleDownStabilized", "stabilized scale-down");
  expect(replicas()).toBe(2);
  expect(hpa()?.status?.currentMetrics?.[0]?.resource?.current.averageUtilization).toBe(5);

  cluster.clock.step(300_000);
  await waitFor(() => replicas() === 1, "scale-down to 1 after the window");
  await waitFor(() => hpa()?.status?.desiredReplicas === 1, "HPA status after scale-down");
  await ctx.recorder.flush();
  const messages = cluster.objects<Event>(inNamespace(events, "default")).map((e) => e.message);
  expect(messages).toContain("New size: 1; reason: All metrics below target");
});

test("without metrics the HPA reports FailedGetResourceMetric and does not scale", async () => {
  const { cluster, addPod, createHpa, replicas, hpa, condition } = setup();
  addPod("web-1");
  createHpa();
  await waitFor(() => condition("ScalingActive")?.status === "False", "ScalingActive False");
  expect(condition("ScalingActive")?.reason).toBe("FailedGetResourceMetric");
  expect(condition("ScalingActive")?.message).toContain("failed to get cpu utilization");
  expect(condition("AbleToScale")).toMatchObject({ status: "True", reason: "SucceededGetScale" });
  expect(replicas()).toBe(1);
  // As upstream: the metric's slot stays empty, so `kubectl get hpa` shows <unknown>/50%.
  expect(hpa()?.status?.currentMetrics).toEqual([{ type: "" }]);
  expect(cluster.actions.filter((a) => a.startsWith("patch deployments"))).toEqual([]);
});

test("limits a big jump to the default scale-up rate and says so", async () => {
  const { addPod, samples, createHpa, replicas, condition } = setup();
  addPod("web-1");
  samples.set("web-1", "1"); // 1000% → 20 replicas wanted, max 5 (and the default rate allows 4 from 1)
  createHpa();
  await waitFor(() => replicas() === 4, "scale-up limited by rate");
  await waitFor(() => condition("ScalingLimited")?.reason === "ScaleUpLimit", "ScaleUpLimit");
});

test("spec.behavior's policies limit the rate of scale-down", async () => {
  const { cluster, samples, addPod, createHpa, replicas, condition } = setup(3);
  for (const name of ["web-1", "web-2", "web-3"]) {
    addPod(name);
    samples.set(name, "5m");
  }
  createHpa({
    scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
  });
  await waitFor(() => replicas() === 2, "one pod removed");
  await waitFor(() => condition("ScalingLimited")?.reason === "ScaleDownLimit", "ScaleDownLimit");
  cluster.clock.step(15_000); // still within the policy's 60 s period
  await waitFor(() => condition("AbleToScale")?.reason === "ReadyForNewScale", "a sync that may not scale");
  expect(replicas()).toBe(2);
  cluster.clock.step(60_000);
  await waitFor(() => replicas() === 1, "the next pod removed after the period");
});

test("metricsApiSource lists PodMetrics by label selector through the metrics API", async () => {
  const seen: string[] = [];
  const client = {
    request: async (method: string, path: string) => {
      seen.push(`${method} ${path}`);
      return Response.json({ kind: "PodMetricsList", items: [{ metadata: { name: "a" }, containers: [] }] });
    },
  } as unknown as KubeClient;
  const items = await metricsApiSource(client)("default", "app=web,tier in (a)");
  expect(items.map((m) => m.metadata.name)).toEqual(["a"]);
  expect(seen).toEqual([
    `GET /apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=${encodeURIComponent("app=web,tier in (a)")}`,
  ]);
});

describe("against the API server", () => {
  // Registered before the API's hooks so that it runs first: the informers stop before the store closes.
  let stop: (() => Promise<void>) | undefined;
  afterAll(async () => stop?.());
  const { call, api } = useInProcessApi();
  const created = async (path: string, body: unknown) => {
    const res = await call("POST", path, body);
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  test("`kubectl autoscale`'s HPA rescales a Deployment through deployments/scale and writes its status", async () => {
    const client = createClient(inProcessTransport(api().app, { username: "admin", groups: ["system:masters"] }));
    const clock = new FakeClock(Date.now());
    const factory = createInformerFactory(client);
    const recorder = createEventRecorder(client, "test", clock);
    const ctx: ControllerContext = {
      client,
      clock,
      recorder,
      informer: <T extends KubeObject>(ref: ResourceRef) => sharedInformerView<T>(factory.informer<T>(ref)),
    };
    const samples: PodMetrics[] = [
      { metadata: { name: "web-1", namespace: "default" }, containers: [{ name: "app", usage: { cpu: "75m" } }] },
    ];
    const controller = startPodAutoscalerController(ctx, async () => samples);
    factory.start();
    stop = async () => {
      factory.stop();
      await controller.stop();
      await recorder.flush();
    };
    await factory.waitForSync();
    controller.run(1);

    const labels = { app: "web" };
    const container = { name: "app", image: "nginx", resources: { requests: { cpu: "100m" } } };
    await created("/apis/apps/v1/namespaces/default/deployments", {
      metadata: { name: "web" },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [container] } },
      },
    });
    const pod = await created("/api/v1/namespaces/default/pods", {
      metadata: { name: "web-1", labels },
      spec: { containers: [container] },
    });
    const started = rfc3339(Date.now() - 3600_000);
    const ready = { type: "Ready", status: "True", lastTransitionTime: started };
    const res = await call("PUT", "/api/v1/namespaces/default/pods/web-1/status", {
      ...pod,
      status: { phase: "Running", startTime: started, conditions: [ready] },
    });
    expect(res.status).toBe(200);
    // What `kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=5` sends.
    await created("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", {
      metadata: { name: "web" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
        ],
      },
    });

    const get = async (path: string) => (await call("GET", path)).json();
    await waitFor(
      async () => (await get("/apis/apps/v1/namespaces/default/deployments/web")).spec.replicas === 2,
      "scale-up",
    );
    const hpa = await waitFor(async () => {
      const h = await get("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web");
      return h.status?.desiredReplicas === 2 && h;
    }, "HPA status");
    expect(hpa.status.currentMetrics[0].resource.current.averageUtilization).toBe(75);
    expect(hpa.status.conditions.map((c: { reason: string }) => c.reason)).toEqual([
      "SucceededRescale",
      "ValidMetricFound",
      "DesiredWithinRange",
    ]);
    expect(hpaTargets(hpa)).toBe("cpu: 75%/50%"); // kubectl get hpa's TARGETS
    await recorder.flush();
    const evs = await get("/api/v1/namespaces/default/events");
    expect(evs.items.map((e: Event) => e.message)).toContain(
      "New size: 2; reason: cpu resource utilization (percentage of request) above target",
    );
  });
});
