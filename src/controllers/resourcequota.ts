// ResourceQuotaController: keeps each ResourceQuota's status.used (pods and their requests/limits, object
// counts, storage requests) in step with its namespace; the API server's admission enforces status.hard.

import type { core, KubeObject, PersistentVolumeClaim, Pod, Service } from "../api/types.ts";
import { formatMilli, parseMilli, parseQuantity } from "../client/quantity.ts";
import * as refs from "../client/refs.ts";
import type { ResourceRef } from "../client/types.ts";
import { writeStatus } from "./apiutil.ts";
import { type Controller, type ControllerContext, newController, type SharedInformer } from "./framework.ts";
import { isPodActive } from "./podutil.ts";

/** Object counts a quota can hard-limit, by the resource name quotas use. */
const COUNTED: Record<string, ResourceRef> = {
  services: refs.services,
  configmaps: refs.configmaps,
  secrets: refs.secrets,
  persistentvolumeclaims: refs.persistentvolumeclaims,
  resourcequotas: refs.resourcequotas,
  replicationcontrollers: { group: "", version: "v1", resource: "replicationcontrollers" },
};

function podSum(pods: Pod[], field: "requests" | "limits", resource: string): number {
  let milli = 0;
  for (const pod of pods) {
    const spec = pod.spec;
    const main = (spec?.containers ?? []).reduce((n, c) => n + parseMilli(c.resources?.[field]?.[resource]), 0);
    // Init containers run one at a time: the pod needs the larger of their max and the main sum (as upstream).
    const init = Math.max(0, ...(spec?.initContainers ?? []).map((c) => parseMilli(c.resources?.[field]?.[resource])));
    milli += Math.max(main, init) + parseMilli(spec?.overhead?.[resource]);
  }
  return milli;
}

/** A quantity for status: CPU in cores/millicores, everything else in whole units with binary suffixes. */
function formatQuantity(resource: string, milli: number): string {
  if (resource.endsWith("cpu")) return formatMilli(milli);
  const units = Math.round(milli / 1000);
  for (const [suffix, size] of [
    ["Gi", 2 ** 30],
    ["Mi", 2 ** 20],
    ["Ki", 2 ** 10],
  ] as const) {
    if (units >= size && units % size === 0) return `${units / size}${suffix}`;
  }
  return String(units);
}

/** status.used for the resources a quota names. */
export function computeUsage(
  hard: Record<string, string>,
  objects: { pods: Pod[]; claims: PersistentVolumeClaim[]; services: Service[]; counts: Record<string, number> },
): Record<string, string> {
  const used: Record<string, string> = {};
  const pods = objects.pods.filter(isPodActive);
  for (const name of Object.keys(hard)) {
    let milli: number | undefined;
    if (name === "pods" || name === "count/pods") milli = pods.length * 1000;
    else if (/^(requests\.)?(cpu|memory|ephemeral-storage)$/.test(name))
      milli = podSum(pods, "requests", name.replace("requests.", ""));
    else if (name.startsWith("limits.")) milli = podSum(pods, "limits", name.slice(7));
    else if (name === "requests.storage")
      milli = objects.claims.reduce((n, c) => n + parseQuantity(c.spec?.resources?.requests?.storage) * 1000, 0);
    else if (name === "services.nodeports")
      milli =
        objects.services.filter((s) => s.spec?.type === "NodePort" || s.spec?.type === "LoadBalancer").length * 1000;
    else if (name === "services.loadbalancers")
      milli = objects.services.filter((s) => s.spec?.type === "LoadBalancer").length * 1000;
    else {
      const counted = name.startsWith("count/") ? name.slice(6).split(".")[0] : name;
      if (counted in objects.counts) milli = objects.counts[counted] * 1000;
    }
    if (milli !== undefined) used[name] = formatQuantity(name, milli);
  }
  return used;
}

export function startResourceQuotaController(ctx: ControllerContext): Controller {
  const quotas = ctx.informer<core.ResourceQuota>(refs.resourcequotas);
  const pods = ctx.informer<Pod>(refs.pods);
  const counted = Object.fromEntries(
    Object.entries(COUNTED).map(([name, ref]) => [name, ctx.informer<KubeObject>(ref)]),
  ) as Record<string, SharedInformer<KubeObject>>;
  const controller = newController(ctx, "resourcequota", sync);
  const onNamespace = (obj: KubeObject) => {
    for (const q of quotas.lister.list(obj.metadata?.namespace))
      controller.enqueue(`${q.metadata?.namespace}/${q.metadata?.name}`);
  };
  quotas.addEventHandler({ onAdd: onNamespace, onUpdate: (_, q) => onNamespace(q) });
  for (const informer of [pods as SharedInformer<KubeObject>, ...Object.values(counted)]) {
    informer.addEventHandler({ onAdd: onNamespace, onUpdate: (_, o) => onNamespace(o), onDelete: onNamespace });
  }

  async function sync(key: string): Promise<void> {
    const [namespace, name] = key.split("/");
    const quota = quotas.lister.get(namespace, name);
    if (!quota || quota.metadata?.deletionTimestamp) return;
    const hard = quota.spec?.hard ?? {};
    const counts = Object.fromEntries(
      Object.entries(counted).map(([n, inf]) => [n, inf.lister.list(namespace).length]),
    );
    const used = computeUsage(hard, {
      pods: pods.lister.list(namespace),
      claims: counted.persistentvolumeclaims.lister.list(namespace) as PersistentVolumeClaim[],
      services: counted.services.lister.list(namespace) as Service[],
      counts,
    });
    const status = { hard, used };
    await writeStatus(ctx.client, refs.resourcequotas, quota, status);
  }

  return controller;
}
