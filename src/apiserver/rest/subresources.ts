// The subresources with behaviour of their own: scale (autoscaling/v1 Scale over spec.replicas), pods/binding
// (the scheduler's bind), pods/eviction (honours PodDisruptionBudgets), namespaces/finalize. Streaming ones
// (log, exec, attach, portforward, proxy) and serviceaccounts/token are plugged in by other components.

import { selectorMatches } from "../../api/selector.ts";
import type { KubeObject } from "../../api/types.ts";
import { asObject, mediaType, readBody } from "../body.ts";
import { badRequest, conflict, notFound, successStatus, tooManyRequests } from "../errors.ts";
import { respondObject } from "../output.ts";
import { applyPatch } from "../patch/index.ts";
import poddisruptionbudgets from "../resources/poddisruptionbudgets.ts";
import { collectionPrefix, gr } from "../storage.ts";
import { labelSelectorString } from "../table.ts";
import type { Scope } from "./context.ts";
import { deleteOne } from "./delete.ts";
import { nowRfc3339 } from "./metadata.ts";
import { patchStatusError, patchTypeOf, trackManagedFields } from "./patch.ts";
import { guaranteedUpdate } from "./writes.ts";

const path = (obj: KubeObject, dotted: string) =>
  dotted.split(".").reduce<KubeObject | undefined>((o, k) => o?.[k], obj);
function setPath(obj: KubeObject, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys[keys.length - 1]] = value;
}

function toScale(s: Scope, obj: KubeObject): KubeObject {
  const spec = s.desc.scale!;
  const m = obj.metadata ?? {};
  const selector = spec.labelSelectorPath ? path(obj, spec.labelSelectorPath) : labelSelectorString(obj.spec?.selector);
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: path(obj, spec.specReplicasPath) ?? 0 },
    status: {
      replicas: path(obj, spec.statusReplicasPath) ?? 0,
      selector: selector === "<none>" ? "" : (selector ?? ""),
    },
  };
}

export async function scale(s: Scope, name: string): Promise<Response> {
  const spec = s.desc.scale!;
  if (s.info.verb === "get") {
    const kv = await s.ctx.storage.get(s.desc, s.namespace, name);
    return respondObject(200, toScale(s, s.ctx.storage.decode(kv)));
  }
  const body = (await readBody(s.req, false, s.info.verb === "patch" ? "application/json" : mediaType(s.req))).value;
  const r = await guaranteedUpdate(s, name, (current) => {
    let wanted = toScale(s, current);
    if (s.info.verb === "patch") {
      const type = patchTypeOf(mediaType(s.req));
      try {
        wanted = applyPatch({ current: wanted, patch: body, patchType: type === "apply" ? "merge" : type });
      } catch (err) {
        throw patchStatusError(err);
      }
    } else wanted = asObject(body);
    const replicas = wanted.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0)
      throw badRequest(`spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`);
    const previous = structuredClone(current);
    setPath(current, spec.specReplicasPath, replicas);
    const rv = wanted.metadata?.resourceVersion;
    if (rv) current.metadata = { ...current.metadata, resourceVersion: rv };
    return trackManagedFields(s.desc, previous, current, s.req, s.query.get("fieldManager"), "scale");
  });
  return respondObject(200, toScale(s, r.obj));
}

export async function bind(s: Scope, name: string): Promise<Response> {
  const binding = asObject((await readBody(s.req, false)).value);
  const node = binding.target?.name;
  if (!node) throw badRequest("Binding target name is required");
  await guaranteedUpdate(
    s,
    name,
    (pod) => {
      if (pod.metadata?.deletionTimestamp)
        throw conflict(gr(s.desc), name, "pod is being deleted, cannot be assigned to a host");
      if (pod.spec?.nodeName)
        throw conflict(gr(s.desc), name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      pod.spec.nodeName = node;
      const conditions = (pod.status?.conditions ?? []).filter((c: { type: string }) => c.type !== "PodScheduled");
      conditions.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: nowRfc3339() });
      pod.status = { ...pod.status, conditions };
      return pod;
    },
    { admit: false },
  );
  return respondObject(201, successStatus());
}

/** Eviction = delete, unless a PodDisruptionBudget selecting the pod has no disruptions left. */
export async function evict(s: Scope, name: string): Promise<Response> {
  const eviction = asObject((await readBody(s.req, false)).value);
  const kv = await s.ctx.storage.get(s.desc, s.namespace, name);
  const pod = s.ctx.storage.decode(kv);
  const labels = (pod.metadata?.labels ?? {}) as Record<string, string>;
  const pdbs = await s.ctx.storage.store.list(collectionPrefix(poddisruptionbudgets, s.namespace));
  for (const pdbKv of pdbs.items) {
    const pdb = s.ctx.storage.decode(pdbKv);
    if (!selectorMatches(pdb.spec?.selector, labels)) continue;
    if ((pdb.status?.disruptionsAllowed ?? 0) < 1) {
      throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.");
    }
    // Spend one disruption under compare-and-swap, so two evictions racing for the last one cannot both pass.
    const disruptedPods = { ...pdb.status?.disruptedPods, [name]: nowRfc3339() };
    const spent = {
      ...pdb,
      status: { ...pdb.status, disruptionsAllowed: pdb.status.disruptionsAllowed - 1, disruptedPods },
    };
    if (!s.dryRun) {
      await s.ctx.storage.update(poddisruptionbudgets, spent, pdbKv.modRevision).catch(() => {
        throw tooManyRequests("Too many concurrent evictions, please try again later.");
      });
    }
  }
  try {
    await deleteOne(s, name, eviction.deleteOptions ?? {});
  } catch (err) {
    if ((err as { code?: number }).code === 404) throw notFound(gr(s.desc), name);
    throw err;
  }
  return respondObject(201, successStatus());
}

/** namespaces/<name>/finalize: only spec.finalizers changes; the namespace goes once they are empty. */
export async function finalizeNamespace(s: Scope, name: string): Promise<Response> {
  const body = asObject((await readBody(s.req, false)).value);
  const r = await guaranteedUpdate(
    s,
    name,
    (ns) => {
      ns.spec = { ...ns.spec, finalizers: body.spec?.finalizers ?? [] };
      return ns;
    },
    { admit: false },
  );
  return respondObject(200, r.obj);
}
