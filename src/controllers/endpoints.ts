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
      const { subsets, truncated } = capAddresses(endpointSubsets(endpointGroups(svc, pods.lister.list(namespace))));
      const labels = endpointLabels(svc);
      const annotations = { ...(existing?.metadata?.annotations ?? {}) };
      if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = "truncated";
      else delete annotations[OVER_CAPACITY_ANNOTATION];
      if (existing) {
        const same =
          JSON.stringify(existing.subsets ?? []) === JSON.stringify(subsets) &&
          JSON.stringify(existing.metadata?.labels ?? {}) === JSON.stringify(labels) &&
          JSON.stringify(existing.metadata?.annotations ?? {}) === JSON.stringify(annotations);
        if (same) return;
        await ctx.client.update(ref, { ...existing, metadata: { ...existing.metadata, labels, annotations }, subsets });
      } else {
        const ep: Endpoints = {
          apiVersion: "v1",
          kind: "Endpoints",
          metadata: { name, namespace, labels, annotations },
          subsets,
        };
        await ctx.client.create(ref, ep);
      }
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      throw err; // conflicts retry against the newer cache
    }
  }

  return controller;
}

export const OVER_CAPACITY_ANNOTATION = "endpoints.kubernetes.io/over-capacity";
/** Upstream's maxCapacity: Endpoints keep at most 1000 addresses (EndpointSlices carry the rest). */
const MAX_ADDRESSES = 1000;

/** Keeps the first 1000 addresses, ready ones first, and says whether any were dropped. */
export function capAddresses(subsets: core.EndpointSubset[]): { subsets: core.EndpointSubset[]; truncated: boolean } {
  let left = MAX_ADDRESSES;
  let truncated = false;
  const take = (list: core.EndpointAddress[] | undefined) => {
    if (!list) return undefined;
    const kept = list.slice(0, Math.max(0, left));
    left -= kept.length;
    if (kept.length < list.length) truncated = true;
    return kept.length ? kept : undefined;
  };
  const ready = subsets.map((s) => take(s.addresses));
  const notReady = subsets.map((s) => take(s.notReadyAddresses));
  const out = subsets
    .map((s, i) => ({ ...s, addresses: ready[i], notReadyAddresses: notReady[i] }))
    .map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as core.EndpointSubset)
    .filter((s) => s.addresses || s.notReadyAddresses);
  return { subsets: out, truncated };
}

function endpointLabels(svc: Service): Record<string, string> {
  const labels = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === "None") labels["service.kubernetes.io/headless"] = "";
  return labels;
}
