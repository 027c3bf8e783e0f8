// EndpointsController: the core/v1 Endpoints of every Service with a selector — ready and not-ready addresses
// of the selected pods, grouped into subsets by port set. Endpoints of a deleted Service are deleted.

import type { core, Endpoints, Service } from "../api/types.ts";
import { endpoints as endpointsRef, inNamespace } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { type EndpointGroup, endpointGroups, podReference, watchServicesAndPods } from "./endpoints_util.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { splitKey } from "./owner.ts";

/** Subsets as upstream lays them out: one per port set, addresses sorted by IP. */
export function endpointSubsets(groups: EndpointGroup[]): core.EndpointSubset[] {
  return groups.map((g) => {
    const subset: core.EndpointSubset = {};
    const address = (e: EndpointGroup["endpoints"][number]): core.EndpointAddress => {
      const a: core.EndpointAddress = { ip: e.ip, targetRef: podReference(e.pod) };
      if (e.pod.spec?.nodeName) a.nodeName = e.pod.spec.nodeName;
      if (e.hostname) a.hostname = e.hostname;
      return a;
    };
    const ready = g.endpoints.filter((e) => e.ready).map(address);
    const notReady = g.endpoints.filter((e) => !e.ready).map(address);
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (g.ports.length) {
      subset.ports = g.ports.map((p) => {
        const port: core.EndpointPort = { port: p.port, protocol: p.protocol };
        if (p.name) port.name = p.name;
        if (p.appProtocol) port.appProtocol = p.appProtocol;
        return port;
      });
    }
    return subset;
  });
}

export function startEndpointsController(ctx: ControllerContext): Controller {
  const controller = newController(ctx, "endpoints", syncService);
  const { services, pods } = watchServicesAndPods(ctx, controller);
  const endpointsInformer = ctx.informer<Endpoints>(endpointsRef);

  async function syncService(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ref = inNamespace(endpointsRef, namespace);
    const svc = services.lister.get(namespace, name);
    const existing = endpointsInformer.lister.get(namespace, name);
    try {
      if (!svc) {
        if (existing) await ctx.client.delete(ref, name);
        return;
      }
      // No selector: the user manages this Service's Endpoints.
      if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return;
      const subsets = endpointSubsets(endpointGroups(svc, pods.lister.list(namespace)));
      const labels = endpointLabels(svc);
      if (existing) {
        const same =
          JSON.stringify(existing.subsets ?? []) === JSON.stringify(subsets) &&
          JSON.stringify(existing.metadata?.labels ?? {}) === JSON.stringify(labels);
        if (same) return;
        await ctx.client.update(ref, { ...existing, metadata: { ...existing.metadata, labels }, subsets });
      } else {
        const ep: Endpoints = { apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace, labels }, subsets };
        await ctx.client.create(ref, ep);
      }
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      throw err; // conflicts retry against the newer cache
    }
  }

  return controller;
}

function endpointLabels(svc: Service): Record<string, string> {
  const labels = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === "None") labels["service.kubernetes.io/headless"] = "";
  return labels;
}
