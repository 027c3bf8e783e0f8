import { expect, test } from "bun:test";
import type { Node, networking } from "../api/types.ts";
import { ingresses, nodes } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { startIngressStatusController } from "./ingressstatus.ts";
import { FakeCluster } from "./testing/fake.ts";

type Ingress = networking.Ingress;

function node(name: string, ready: boolean, address: string): Node {
  return {
    metadata: { name },
    status: {
      addresses: [{ type: "InternalIP", address }],
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
    },
  };
}

function ingress(name: string, className?: string, status?: Ingress["status"]): Ingress {
  return {
    metadata: { name, namespace: "default" },
    spec: { ingressClassName: className, defaultBackend: { service: { name: "web", port: { number: 80 } } } },
    status,
  };
}

const get = (cluster: FakeCluster, name: string) =>
  cluster.objects<Ingress>(ingresses).find((i) => i.metadata?.name === name) as Ingress;
const addresses = (cluster: FakeCluster, name: string) =>
  (get(cluster, name)?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join();

test("our Ingresses get the Ready nodes' addresses; others are left alone; one moved away is cleared", async () => {
  const cluster = new FakeCluster();
  const controller = startIngressStatusController(cluster.context());
  controller.run();
  cluster.put(nodes, node("n1", true, "192.168.1.10"));
  cluster.put(nodes, node("n2", true, "192.168.1.11"));
  cluster.put(nodes, node("down", false, "192.168.1.99"));
  cluster.put(ingresses, ingress("plain"));
  cluster.put(ingresses, ingress("traefik", "traefik"));
  cluster.put(ingresses, ingress("k3lite", "k3lite"));
  const nginxStatus = { loadBalancer: { ingress: [{ ip: "198.51.100.1" }] } };
  cluster.put(ingresses, ingress("nginx", "nginx", nginxStatus));
  cluster.put<Ingress>(ingresses, {
    ...ingress("legacy"),
    metadata: { name: "legacy", namespace: "default", annotations: { "kubernetes.io/ingress.class": "nginx" } },
  });

  for (const name of ["plain", "traefik", "k3lite"]) {
    await waitFor(() => addresses(cluster, name) === "192.168.1.10,192.168.1.11", `${name}'s addresses`);
  }
  expect(addresses(cluster, "nginx")).toBe("198.51.100.1");
  expect(addresses(cluster, "legacy")).toBe("");

  // A node that stops being Ready is no longer an address.
  cluster.put(nodes, node("n2", false, "192.168.1.11"));
  await waitFor(() => addresses(cluster, "plain") === "192.168.1.10", "n2 left out");

  // Moved to another class: what we wrote is taken back.
  const moved = get(cluster, "traefik");
  cluster.put<Ingress>(ingresses, { ...moved, spec: { ...moved.spec, ingressClassName: "nginx" } });
  await waitFor(() => addresses(cluster, "traefik") === "", "status cleared");
  expect(addresses(cluster, "nginx")).toBe("198.51.100.1");
  await controller.stop();
});
