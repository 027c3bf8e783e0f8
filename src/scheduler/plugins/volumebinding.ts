// VolumeBinding: a pod's PersistentVolumeClaims must exist; a bound volume's node affinity limits where the pod
// may go; an unbound claim of a WaitForFirstConsumer class is provisioned for the chosen node (the scheduler
// writes volume.kubernetes.io/selected-node on the claim and waits until it is bound before binding the pod).

import type { KubeObject, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/types.ts";
import type { Lister } from "../../client/cache.ts";
import { inNamespace, persistentvolumeclaims } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import { type CycleState, type Plugin, skip, unresolvable } from "../framework.ts";
import { nodeSelectorTermMatches } from "./nodeaffinity.ts";

export const SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node";
export const ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims";
export const ERR_VOLUME_NODE_AFFINITY = "node(s) had volume node affinity conflict";

export interface VolumeBindingHandle {
  client: KubeClient;
  claims: Lister<PersistentVolumeClaim>;
  volumes: Lister<PersistentVolume>;
  classes: Lister<KubeObject>;
  /** Resolves when `check` holds for the claim, or rejects after `timeoutMs`. */
  waitForClaim(
    namespace: string,
    name: string,
    check: (c: PersistentVolumeClaim) => boolean,
    timeoutMs: number,
  ): Promise<void>;
  bindTimeoutMs?: number;
}

interface ClaimState {
  bound: PersistentVolume[];
  unboundImmediate: boolean;
  delayed: PersistentVolumeClaim[];
}

const KEY = "VolumeBinding";

function claimNames(pod: Pod): string[] {
  const names: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) names.push(v.persistentVolumeClaim.claimName);
    // Generic ephemeral volumes get a claim named <pod>-<volume>, created by the ephemeral volume controller.
    else if (v.ephemeral) names.push(`${pod.metadata?.name}-${v.name}`);
  }
  return names;
}

export function volumeBinding(h: VolumeBindingHandle): Plugin {
  const isBound = (c: PersistentVolumeClaim) => !!c.spec?.volumeName && c.status?.phase === "Bound";
  return {
    name: KEY,
    preFilter(state: CycleState, pod) {
      const names = claimNames(pod);
      if (names.length === 0) return skip;
      const ns = pod.metadata?.namespace;
      const s: ClaimState = { bound: [], unboundImmediate: false, delayed: [] };
      for (const name of names) {
        const claim = h.claims.getByName(ns, name);
        if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
        if (claim.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
        if (isBound(claim)) {
          const pv = h.volumes.getByName(undefined, claim.spec?.volumeName as string);
          if (pv) s.bound.push(pv);
          continue;
        }
        const cls = h.classes.getByName(undefined, claim.spec?.storageClassName ?? "");
        if (cls?.volumeBindingMode === "WaitForFirstConsumer") s.delayed.push(claim);
        else s.unboundImmediate = true;
      }
      state.write(KEY, s);
      return undefined;
    },
    filter(state, _pod, node) {
      const s = state.read<ClaimState>(KEY);
      if (s.unboundImmediate) return unresolvable(ERR_UNBOUND_IMMEDIATE);
      for (const pv of s.bound) {
        const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
        if (terms && !terms.some((t) => nodeSelectorTermMatches(t, node.node)))
          return unresolvable(ERR_VOLUME_NODE_AFFINITY);
      }
      // A delayed claim whose provisioning already started for another node can only follow that node.
      for (const claim of s.delayed) {
        const selected = claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
        if (selected && selected !== node.name) return unresolvable(ERR_VOLUME_NODE_AFFINITY);
      }
      return undefined;
    },
    async preBind(state, pod, nodeName) {
      const s = state.read<ClaimState | undefined>(KEY);
      if (!s?.delayed.length) return undefined;
      const ns = pod.metadata?.namespace as string;
      const ref = inNamespace(persistentvolumeclaims, ns);
      for (const claim of s.delayed) {
        const name = claim.metadata?.name as string;
        const latest = h.claims.getByName(ns, name) ?? claim;
        if (latest.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === nodeName) continue;
        // An update, as upstream does (the scheduler's role may update claims); a conflict retries the pod.
        const annotations = { ...latest.metadata?.annotations, [SELECTED_NODE_ANNOTATION]: nodeName };
        await h.client.update(ref, { ...latest, metadata: { ...latest.metadata, annotations } });
      }
      await Promise.all(
        s.delayed.map((c) => h.waitForClaim(ns, c.metadata?.name as string, isBound, h.bindTimeoutMs ?? 600_000)),
      );
      return undefined;
    },
  };
}
