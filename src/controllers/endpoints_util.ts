// What Endpoints and EndpointSlices are computed from: a Service's selected pods, each with its address,
// readiness and the service ports resolved against the pod (named target ports look up container ports).
// Pods are grouped by their resolved port set, since a subset/slice carries one list of ports.

import { mapSelectorMatches } from "../api/selector.ts";
import type { core, Pod, Service } from "../api/types.ts";
import { pods as podsRef, services as servicesRef } from "../client/refs.ts";
import type { Controller, ControllerContext, SharedInformer } from "./framework.ts";
import { keyOf } from "./owner.ts";
import { isPodReady } from "./podutil.ts";

export interface ResolvedPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface ServiceEndpoint {
  pod: Pod;
  ip: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  hostname?: string;
}

export interface EndpointGroup {
  ports: ResolvedPort[];
  endpoints: ServiceEndpoint[];
}

/** The container port a service port's targetPort names, or the number itself. */
export function resolveTargetPort(svcPort: core.ServicePort, pod: Pod): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === "number") return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    const p = c.ports?.find((cp) => cp.name === target && (cp.protocol ?? "TCP") === (svcPort.protocol ?? "TCP"));
    if (p) return p.containerPort;
  }
  return undefined;
}

/** Pods behind a Service grouped by resolved ports, sorted for stable output. */
export function endpointGroups(svc: Service, pods: Pod[]): EndpointGroup[] {
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const groups = new Map<string, EndpointGroup>();
  for (const pod of pods) {
    if (!mapSelectorMatches(svc.spec?.selector, pod.metadata?.labels)) continue;
    const ip = pod.status?.podIP;
    const phase = pod.status?.phase;
    if (!ip || phase === "Succeeded" || phase === "Failed") continue;
    const terminating = !!pod.metadata?.deletionTimestamp;
    if (terminating && !publishNotReady) continue;
    const ports: ResolvedPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue;
      ports.push({ name: sp.name ?? "", port, protocol: sp.protocol ?? "TCP", appProtocol: sp.appProtocol });
    }
    // A pod that resolves none of several ports serves nothing here; a Service without ports still lists it.
    if ((svc.spec?.ports?.length ?? 0) > 0 && ports.length === 0) continue;
    const serving = isPodReady(pod);
    const hostname = pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name ? pod.spec.hostname : undefined;
    const key = JSON.stringify(ports);
    const group = groups.get(key) ?? { ports, endpoints: [] };
    groups.set(key, group);
    group.endpoints.push({
      pod,
      ip,
      ready: publishNotReady || (serving && !terminating),
      serving,
      terminating,
      hostname,
    });
  }
  const out = [...groups.values()];
  for (const g of out) g.endpoints.sort((a, b) => a.ip.localeCompare(b.ip));
  return out.sort((a, b) => JSON.stringify(a.ports).localeCompare(JSON.stringify(b.ports)));
}

export function podReference(pod: Pod): core.ObjectReference {
  return { kind: "Pod", namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
}

/**
 * Informers and handlers both endpoint controllers share: a Service change or a change to a pod it selects
 * (by old or new labels) queues the Service's key.
 */
export function watchServicesAndPods(
  ctx: ControllerContext,
  controller: Controller,
): { services: SharedInformer<Service>; pods: SharedInformer<Pod> } {
  const services = ctx.informer<Service>(servicesRef);
  const pods = ctx.informer<Pod>(podsRef);
  services.addEventHandler({
    onAdd: (s) => controller.enqueue(keyOf(s)),
    onUpdate: (_, s) => controller.enqueue(keyOf(s)),
    onDelete: (s) => controller.enqueue(keyOf(s)),
  });
  const onPod = (...versions: Pod[]) => {
    const ns = versions[0].metadata?.namespace;
    for (const svc of services.lister.list(ns)) {
      if (versions.some((p) => mapSelectorMatches(svc.spec?.selector, p.metadata?.labels)))
        controller.enqueue(keyOf(svc));
    }
  };
  pods.addEventHandler({
    onAdd: (p) => onPod(p),
    onUpdate: (old, p) => {
      if (old.metadata?.resourceVersion !== p.metadata?.resourceVersion) onPod(old, p);
    },
    onDelete: (p) => onPod(p),
  });
  return { services, pods };
}
