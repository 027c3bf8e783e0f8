// ServiceLB, k3s's built-in load balancer (klipper-lb), without its DaemonSet pods: a Service of type
// LoadBalancer gets the addresses of the cluster's Ready nodes as its load-balancer ingress, and every node's
// service proxy (src/network/proxy) routes traffic for those addresses and the Service's ports to its endpoints.
// As in k3s, a port that an older LoadBalancer Service already holds stays Pending for the newer one (both cannot
// own :80 on a node), and a Service with spec.loadBalancerClass belongs to another controller. Ports the nodes serve
// themselves (80 and 443 for the Ingress, as Traefik's LoadBalancer Service holds them in k3s) are held from the start.

import { olderFirst } from "../api/order.ts";
import type { Node, Service } from "../api/types.ts";
import { nodes as nodesRef, services as servicesRef } from "../client/refs.ts";
import { writeStatus } from "./apiutil.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { keyOf, splitKey } from "./owner.ts";

const isOurs = (svc: Service) => svc.spec?.type === "LoadBalancer" && !svc.spec.loadBalancerClass;

/** `port/PROTOCOL` pairs a Service would hold on every node. */
const portsOf = (svc: Service) => (svc.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? "TCP"}`);

/** The addresses a client outside reaches a Ready node on: its ExternalIP, else its InternalIP (as k3s). */
export function nodeIngressIps(nodes: Node[]): string[] {
  const ips = new Set<string>();
  for (const node of nodes) {
    const ready = node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    if (!ready || node.metadata?.deletionTimestamp) continue;
    const addresses = node.status?.addresses ?? [];
    const ip = (addresses.find((a) => a.type === "ExternalIP") ?? addresses.find((a) => a.type === "InternalIP"))
      ?.address;
    if (ip) ips.add(ip);
  }
  return [...ips].sort();
}

/** Whether an older LoadBalancer Service of ours, or the nodes themselves (`reserved`), hold one of `svc`'s ports. */
export function portTaken(svc: Service, all: Service[], reserved: string[] = []): boolean {
  const wanted = new Set(portsOf(svc));
  if (reserved.some((p) => wanted.has(p))) return true;
  const older = all.filter((other) => isOurs(other) && keyOf(other) !== keyOf(svc) && olderFirst(other, svc) < 0);
  return older.some((other) => portsOf(other).some((p) => wanted.has(p)));
}

/** `reservedPorts`: `port/PROTOCOL` the nodes serve themselves, e.g. "80/TCP" for the Ingress. */
export function startServiceLBController(ctx: ControllerContext, reservedPorts: string[] = []): Controller {
  const serviceInformer = ctx.informer<Service>(servicesRef);
  const nodeInformer = ctx.informer<Node>(nodesRef);
  const controller = newController(ctx, "servicelb", sync);
  // Any change can move a port to another Service or the addresses of every one: re-check them all (a homelab
  // has a handful of LoadBalancer Services).
  const enqueueAll = () => {
    for (const svc of serviceInformer.lister.list()) if (isOurs(svc) || hasIngress(svc)) controller.enqueue(keyOf(svc));
  };
  const onService = (...versions: Service[]) => {
    if (versions.some((svc) => isOurs(svc) || hasIngress(svc))) enqueueAll();
  };
  serviceInformer.addEventHandler({ onAdd: onService, onUpdate: onService, onDelete: onService });
  nodeInformer.addEventHandler({ onAdd: enqueueAll, onUpdate: enqueueAll, onDelete: enqueueAll });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = serviceInformer.lister.get(namespace, name);
    if (!svc || svc.metadata?.deletionTimestamp) return;
    // A Service that stopped being a LoadBalancer of ours loses what we wrote; another class's status is its own.
    if (!isOurs(svc) && (!hasIngress(svc) || svc.spec?.loadBalancerClass)) return;
    const ours = isOurs(svc) && !portTaken(svc, serviceInformer.lister.list(), reservedPorts);
    const ips = ours ? nodeIngressIps(nodeInformer.lister.list()) : [];
    const loadBalancer = ips.length ? { ingress: ips.map((ip) => ({ ip, ipMode: "VIP" as const })) } : {};
    await writeStatus(ctx.client, servicesRef, svc, { ...svc.status, loadBalancer });
  }

  return controller;
}

function hasIngress(svc: Service): boolean {
  return (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0;
}
