import { expect, test } from "bun:test";
import type { Node, Service } from "../api/types.ts";
import { inNamespace, nodes, services } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startServiceLBController } from "./servicelb.ts";
import { FakeCluster } from "./testing/fake.ts";

function node(name: string, ready: boolean, addresses: { type: string; address: string }[]): Node {
  return {
    metadata: { name },
    status: { addresses, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  };
}

function lb(name: string, port: number, extra: Partial<NonNullable<Service["spec"]>> = {}): Service {
  return { metadata: { name, namespace: "default" }, spec: { type: "LoadBalancer", ports: [{ port }], ...extra } };
}

const ingress = (cluster: FakeCluster, name: string) =>
  (cluster.objects<Service>(services).find((s) => s.metadata?.name === name)?.status?.loadBalancer?.ingress ?? []).map(
    (i) => i.ip,
  );

test("LoadBalancer Services get the Ready nodes' addresses; a port held by an older one waits for it", async () => {
  const cluster = new FakeCluster();
  const controller = startServiceLBController(cluster.context());
  controller.run();
  cluster.put(nodes, node("n1", true, [{ type: "InternalIP", address: "192.168.1.10" }]));
  cluster.put(
    nodes,
    node("n2", true, [
      { type: "InternalIP", address: "10.0.0.2" },
      { type: "ExternalIP", address: "203.0.113.5" },
    ]),
  );
  cluster.put(nodes, node("down", false, [{ type: "InternalIP", address: "192.168.1.99" }]));
  cluster.put(services, lb("a-web", 80));
  cluster.put(services, lb("b-web", 80));
  cluster.put(services, lb("other-class", 443, { loadBalancerClass: "example.com/lb" }));
  cluster.put<Service>(services, {
    metadata: { name: "plain", namespace: "default" },
    spec: { ports: [{ port: 80 }] },
  });

  // ExternalIP before InternalIP, NotReady nodes left out, as k3s's ServiceLB does.
  await waitFor(() => ingress(cluster, "a-web").length === 2, "a-web's ingress");
  expect(ingress(cluster, "a-web")).toEqual(["192.168.1.10", "203.0.113.5"]);
  expect(ingress(cluster, "b-web")).toEqual([]);
  expect(ingress(cluster, "other-class")).toEqual([]);
  expect(ingress(cluster, "plain")).toEqual([]);

  // The older Service goes: the port passes to the one waiting for it.
  await cluster.client.delete(inNamespace(services, "default"), "a-web");
  await waitFor(() => ingress(cluster, "b-web").length === 2, "b-web takes port 80");

  // A node that stops being Ready is no longer an address of the load balancer.
  cluster.put(nodes, node("n1", false, [{ type: "InternalIP", address: "192.168.1.10" }]));
  await waitFor(() => ingress(cluster, "b-web").join() === "203.0.113.5", "n1 left out");

  // No longer a LoadBalancer: what the controller wrote is taken back.
  const b = cluster.objects<Service>(services).find((s) => s.metadata?.name === "b-web") as Service;
  cluster.put<Service>(services, { ...b, spec: { ...b.spec, type: "ClusterIP" } });
  await waitFor(() => ingress(cluster, "b-web").length === 0, "ingress cleared");
  await controller.stop();
});

test("a port the nodes serve themselves (the Ingress's 80) is never given to a LoadBalancer Service", async () => {
  const cluster = new FakeCluster();
  const controller = startServiceLBController(cluster.context(), ["80/TCP"]);
  controller.run();
  cluster.put(nodes, node("n1", true, [{ type: "InternalIP", address: "192.168.1.10" }]));
  cluster.put(services, lb("wants-80", 80));
  cluster.put(services, lb("wants-8080", 8080));
  await waitFor(() => ingress(cluster, "wants-8080").length === 1, "wants-8080's ingress");
  expect(ingress(cluster, "wants-80")).toEqual([]);
  await controller.stop();
});
