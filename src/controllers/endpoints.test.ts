import { expect, test } from "bun:test";
import type { EndpointSlice, Endpoints, Pod, Service } from "../api/types.ts";
import { endpoints, endpointslices, pods, services } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { capAddresses, startEndpointsController } from "./endpoints.ts";
import { startEndpointSliceController } from "./endpointslice.ts";
import { FakeCluster } from "./testing/fake.ts";

function pod(name: string, ip: string | undefined, ready: boolean, portName = "web"): Pod {
  return {
    metadata: { name, namespace: "default", labels: { app: "web" } },
    spec: { nodeName: "n1", containers: [{ name: "c", ports: [{ name: portName, containerPort: 8080 }] }] },
    status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  };
}

test("Endpoints and EndpointSlices follow selected pods, readiness and named target ports", async () => {
  const cluster = new FakeCluster();
  const ctx = cluster.context();
  const controllers = [startEndpointsController(ctx), startEndpointSliceController(ctx)];
  for (const c of controllers) c.run();
  cluster.put(pods, pod("ready", "10.42.0.5", true));
  cluster.put(pods, pod("unready", "10.42.0.6", false));
  cluster.put(pods, pod("no-ip", undefined, true));
  cluster.put(pods, pod("other-port", "10.42.0.7", true, "metrics"));
  const svc = cluster.put<Service>(services, {
    metadata: { name: "web", namespace: "default" },
    spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "web" }] },
  });

  await waitFor(() => cluster.objects<Endpoints>(endpoints).length === 1, "endpoints");
  const ep = cluster.objects<Endpoints>(endpoints)[0];
  expect(ep.subsets).toEqual([
    {
      addresses: [
        { ip: "10.42.0.5", nodeName: "n1", targetRef: expect.objectContaining({ kind: "Pod", name: "ready" }) },
      ],
      notReadyAddresses: [{ ip: "10.42.0.6", nodeName: "n1", targetRef: expect.objectContaining({ name: "unready" }) }],
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    },
  ]);
  await waitFor(() => cluster.objects<EndpointSlice>(endpointslices).length === 1, "slice");
  const slice = cluster.objects<EndpointSlice>(endpointslices)[0];
  expect(slice.metadata?.labels?.["kubernetes.io/service-name"]).toBe("web");
  expect(slice.metadata?.ownerReferences?.[0].uid).toBe(svc.metadata?.uid);
  expect(slice.endpoints.map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([
    ["10.42.0.5", true],
    ["10.42.0.6", false],
  ]);

  // publishNotReadyAddresses makes every address ready.
  cluster.put(services, { ...svc, spec: { ...svc.spec, publishNotReadyAddresses: true } });
  await waitFor(() => cluster.objects<Endpoints>(endpoints)[0].subsets?.[0].addresses?.length === 2, "all ready");
  await waitFor(
    () => cluster.objects<EndpointSlice>(endpointslices)[0].endpoints.every((e) => e.conditions?.ready),
    "slice ready",
  );
  expect(cluster.objects(endpointslices)).toHaveLength(1);

  await cluster.client.delete({ ...services, namespace: "default" }, "web");
  await waitFor(() => cluster.objects(endpoints).length === 0, "endpoints deleted with service");
  await Promise.all(controllers.map((c) => c.stop()));
});

test("Endpoints keep at most 1000 addresses, ready first, and say so", async () => {
  const addr = (i: number) => ({ ip: `10.0.${Math.floor(i / 256)}.${i % 256}` });
  const { subsets, truncated } = capAddresses([
    {
      addresses: Array.from({ length: 900 }, (_, i) => addr(i)),
      notReadyAddresses: Array.from({ length: 300 }, (_, i) => addr(1000 + i)),
      ports: [{ port: 80 }],
    },
  ]);
  expect(truncated).toBe(true);
  expect(subsets[0].addresses).toHaveLength(900);
  expect(subsets[0].notReadyAddresses).toHaveLength(100);
});
