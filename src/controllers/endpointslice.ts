// EndpointSliceController: discovery.k8s.io/v1 EndpointSlices for every Service with a selector, labelled
// kubernetes.io/service-name and owned by the Service (so the garbage collector removes them with it). One
// slice per port set, at most 100 endpoints each; existing slices are updated in place before new ones are made.

import { SERVICE_NAME_LABEL } from "../api/labels.ts";
import type { discovery, EndpointSlice, Service } from "../api/types.ts";
import { inNamespace, endpointslices as slicesRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { type EndpointGroup, endpointGroups, podReference, watchServicesAndPods } from "./endpoints_util.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { controllerRef, splitKey } from "./owner.ts";

export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const MANAGED_BY = "endpointslice-controller.k8s.io";
const MAX_ENDPOINTS_PER_SLICE = 100;

type SliceBody = Pick<EndpointSlice, "addressType" | "endpoints" | "ports">;

/** The desired slice bodies for a Service (names and metadata are the reconciler's business). */
export function desiredSlices(groups: EndpointGroup[]): SliceBody[] {
  const out: SliceBody[] = [];
  for (const g of groups) {
    const endpoints: discovery.Endpoint[] = g.endpoints.map((e) => {
      const ep: discovery.Endpoint = {
        addresses: [e.ip],
        conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
        targetRef: podReference(e.pod),
      };
      if (e.pod.spec?.nodeName) ep.nodeName = e.pod.spec.nodeName;
      if (e.hostname) ep.hostname = e.hostname;
      return ep;
    });
    const ports = g.ports.map((p) => {
      const port: discovery.EndpointPort = { name: p.name ?? "", port: p.port, protocol: p.protocol };
      if (p.appProtocol) port.appProtocol = p.appProtocol;
      return port;
    });
    for (let i = 0; i < Math.max(1, endpoints.length); i += MAX_ENDPOINTS_PER_SLICE) {
      out.push({ addressType: "IPv4", endpoints: endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE), ports });
    }
  }
  // A Service with no endpoints still gets one empty slice, as upstream, so consumers see "no endpoints".
  if (out.length === 0) out.push({ addressType: "IPv4", endpoints: [], ports: [] });
  return out;
}

const serviceKind = { group: "", version: "v1", kind: "Service" };

export function startEndpointSliceController(ctx: ControllerContext): Controller {
  const controller = newController(ctx, "endpointslice", syncService);
  const { services, pods } = watchServicesAndPods(ctx, controller);
  const slices = ctx.informer<EndpointSlice>(slicesRef);
  const onSlice = (s: EndpointSlice) => {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (svc && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY)
      controller.enqueue(`${s.metadata?.namespace}/${svc}`);
  };
  slices.addEventHandler({ onUpdate: (_, s) => onSlice(s), onDelete: onSlice });
  // Slices we created but the cache has not shown yet: acting before they appear would create them twice.
  const unseen = new Map<string, Set<string>>();

  async function syncService(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = services.lister.get(namespace, name);
    const ref = inNamespace(slicesRef, namespace);
    const existing = slices.lister
      .list(namespace)
      .filter(
        (s) =>
          s.metadata?.labels?.[SERVICE_NAME_LABEL] === name && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY,
      )
      .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
    const pending = unseen.get(key);
    if (pending) {
      for (const s of existing) pending.delete(s.metadata?.name ?? "");
      if (pending.size > 0) return controller.enqueueAfter(key, 100);
      unseen.delete(key);
    }
    // A deleted Service's slices go with it through the garbage collector (they are owned by it).
    if (!svc?.spec?.selector || Object.keys(svc.spec.selector).length === 0) return;
    const desired = desiredSlices(endpointGroups(svc, pods.lister.list(namespace)));
    const labels = sliceLabels(svc, name);
    try {
      for (let i = 0; i < desired.length; i++) {
        const want = desired[i];
        const have = existing[i];
        if (!have) {
          const slice: EndpointSlice = {
            apiVersion: "discovery.k8s.io/v1",
            kind: "EndpointSlice",
            metadata: {
              generateName: `${name}-`,
              namespace,
              labels,
              ownerReferences: [controllerRef(svc, serviceKind)],
            },
            ...want,
          };
          const made = await ctx.client.create(ref, slice);
          unseen.set(key, (unseen.get(key) ?? new Set()).add(made.metadata?.name ?? ""));
          continue;
        }
        const same =
          JSON.stringify([have.addressType, have.endpoints ?? [], have.ports ?? [], have.metadata?.labels]) ===
          JSON.stringify([want.addressType, want.endpoints, want.ports, labels]);
        if (!same) await ctx.client.update(ref, { ...have, ...want, metadata: { ...have.metadata, labels } });
      }
      for (const extra of existing.slice(desired.length)) await ctx.client.delete(ref, extra.metadata?.name ?? "");
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      throw err;
    }
  }

  return controller;
}

function sliceLabels(svc: Service, name: string): Record<string, string> {
  const labels: Record<string, string> = {
    ...(svc.metadata?.labels ?? {}),
    [SERVICE_NAME_LABEL]: name,
    [MANAGED_BY_LABEL]: MANAGED_BY,
  };
  if (svc.spec?.clusterIP === "None") labels["service.kubernetes.io/headless"] = "";
  return labels;
}
