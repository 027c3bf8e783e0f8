// EphemeralVolumeController: for each generic ephemeral volume of a pod, the PersistentVolumeClaim
// <pod>-<volume> from its volumeClaimTemplate, owned by the pod so it is deleted with it.

import type { PersistentVolumeClaim, Pod } from "../api/types.ts";
import { inNamespace, pods as podsRef, persistentvolumeclaims as pvcRef } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { controllerRef, keyOf, splitKey } from "./owner.ts";

const podKind = { group: "", version: "v1", kind: "Pod" };

export function startEphemeralVolumeController(ctx: ControllerContext): Controller {
  const pods = ctx.informer<Pod>(podsRef);
  const claims = ctx.informer<PersistentVolumeClaim>(pvcRef);
  const controller = newController(ctx, "ephemeral-volume", sync);
  const onPod = (p: Pod) => {
    if (p.spec?.volumes?.some((v) => v.ephemeral)) controller.enqueue(keyOf(p));
  };
  pods.addEventHandler({ onAdd: onPod, onUpdate: (_, p) => onPod(p) });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = pods.lister.get(namespace, name);
    if (!pod || pod.metadata?.deletionTimestamp) return;
    for (const volume of pod.spec?.volumes ?? []) {
      const template = volume.ephemeral?.volumeClaimTemplate;
      if (!template) continue;
      const claimName = `${name}-${volume.name}`;
      const existing = claims.lister.get(namespace, claimName);
      if (existing) {
        if (!existing.metadata?.ownerReferences?.some((r) => r.uid === pod.metadata?.uid)) {
          ctx.recorder.event(
            pod,
            "Warning",
            "FailedBinding",
            `PVC ${claimName} was not created for pod ${key} (pod is not owner)`,
          );
        }
        continue;
      }
      const pvc: PersistentVolumeClaim = {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: {
          name: claimName,
          namespace,
          labels: template.metadata?.labels,
          annotations: template.metadata?.annotations,
          ownerReferences: [controllerRef(pod, podKind)],
        },
        spec: structuredClone(template.spec),
      };
      try {
        await ctx.client.create(inNamespace(pvcRef, namespace), pvc);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      }
    }
  }

  return controller;
}
