// PersistentVolumeController (binder): binds unbound claims to matching Available volumes (class, access modes,
// capacity, selector; smallest fit), completes binds a provisioner pre-made via claimRef, gives claims without
// a class the default StorageClass (retroactive default class, as upstream), marks volumes whose claim is gone
// Released, and deletes them when their reclaim policy is Delete. Delayed-binding (WaitForFirstConsumer)
// claims wait for the scheduler's selected-node annotation; a provisioner then makes their volume.

import { selectorMatches } from "../api/selector.ts";
import type { core, PersistentVolume, PersistentVolumeClaim, storage } from "../api/types.ts";
import { parseQuantity } from "../client/quantity.ts";
import {
  inNamespace,
  persistentvolumeclaims as pvcRef,
  persistentvolumes as pvRef,
  storageclasses,
} from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { keyOf, splitKey } from "./owner.ts";

export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
export const SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node";
export const STORAGE_PROVISIONER_ANNOTATION = "volume.kubernetes.io/storage-provisioner";
export const PROVISIONED_BY_ANNOTATION = "pv.kubernetes.io/provisioned-by";

export function defaultStorageClass(classes: storage.StorageClass[]): storage.StorageClass | undefined {
  return classes.find((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true");
}

/** Whether an Available volume can serve the claim (upstream: findMatchingVolume's checks). */
export function volumeMatches(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  if (pv.metadata?.deletionTimestamp || (pv.spec?.claimRef && pv.spec.claimRef.uid !== pvc.metadata?.uid)) return false;
  if ((pv.spec?.storageClassName ?? "") !== (pvc.spec?.storageClassName ?? "")) return false;
  if ((pv.spec?.volumeMode ?? "Filesystem") !== (pvc.spec?.volumeMode ?? "Filesystem")) return false;
  const modes = pv.spec?.accessModes ?? [];
  if (!(pvc.spec?.accessModes ?? []).every((m) => modes.includes(m))) return false;
  const want = parseQuantity(pvc.spec?.resources?.requests?.storage ?? "0");
  if (parseQuantity(pv.spec?.capacity?.storage ?? "0") < want) return false;
  if (pvc.spec?.selector && !selectorMatches(pvc.spec.selector, pv.metadata?.labels)) return false;
  return true;
}

export function startPersistentVolumeController(ctx: ControllerContext): Controller {
  const claims = ctx.informer<PersistentVolumeClaim>(pvcRef);
  const volumes = ctx.informer<PersistentVolume>(pvRef);
  const classes = ctx.informer<storage.StorageClass>(storageclasses);
  // Keys: "claim:<ns>/<name>" or "volume:<name>".
  const controller = newController(ctx, "persistentvolume-binder", (key) =>
    key.startsWith("claim:") ? syncClaim(key.slice(6)) : syncVolume(key.slice(7)),
  );
  const onClaim = (c: PersistentVolumeClaim) => controller.enqueue(`claim:${keyOf(c)}`);
  const onVolume = (v: PersistentVolume) => {
    controller.enqueue(`volume:${v.metadata?.name}`);
    const ref = v.spec?.claimRef;
    if (ref?.name) controller.enqueue(`claim:${ref.namespace}/${ref.name}`);
  };
  claims.addEventHandler({
    onAdd: onClaim,
    onUpdate: (_, c) => onClaim(c),
    onDelete: (c) => {
      for (const v of volumes.lister.list()) if (v.spec?.claimRef?.uid === c.metadata?.uid) onVolume(v);
    },
  });
  volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_, v) => onVolume(v) });
  classes.addEventHandler({
    onAdd: () => {
      for (const c of claims.lister.list()) if (!c.spec?.volumeName) onClaim(c);
    },
  });

  async function syncClaim(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pvc = claims.lister.get(namespace, name);
    if (!pvc || pvc.metadata?.deletionTimestamp) return;
    const ref = inNamespace(pvcRef, namespace);
    if (pvc.spec?.storageClassName === undefined || pvc.spec.storageClassName === null) {
      const dflt = defaultStorageClass(classes.lister.list());
      if (dflt && !pvc.spec?.volumeName) {
        await ctx.client.patch(ref, name, { spec: { storageClassName: dflt.metadata?.name } }, "merge");
        return;
      }
    }
    if (pvc.spec?.volumeName) {
      const pv = volumes.lister.get(undefined, pvc.spec.volumeName);
      if (!pv) {
        if (pvc.status?.phase === "Bound") await setClaimPhase(pvc, "Lost");
        return;
      }
      if (pvc.status?.phase !== "Bound") await bind(pv, pvc);
      return;
    }
    // A volume pre-bound to this claim (a provisioner's, or an admin's claimRef) wins.
    const all = volumes.lister.list();
    const preBound = all.find(
      (v) =>
        v.spec?.claimRef?.uid === pvc.metadata?.uid ||
        (v.spec?.claimRef?.name === name && v.spec.claimRef.namespace === namespace && !v.spec.claimRef.uid),
    );
    if (preBound) return bind(preBound, pvc);

    const cls = classes.lister.get(undefined, pvc.spec?.storageClassName ?? "");
    const delayed = cls?.volumeBindingMode === "WaitForFirstConsumer";
    if (delayed && !pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION]) return setClaimPhase(pvc, "Pending");
    const fits = all
      .filter((v) => (v.status?.phase ?? "Available") === "Available" && volumeMatches(v, pvc))
      .sort(
        (a, b) => parseQuantity(a.spec?.capacity?.storage ?? "0") - parseQuantity(b.spec?.capacity?.storage ?? "0"),
      );
    if (fits.length > 0) return bind(fits[0], pvc);
    // Nothing fits: ask the class's provisioner (it watches for this annotation).
    if (cls?.provisioner && cls.provisioner !== "kubernetes.io/no-provisioner") {
      if (pvc.metadata?.annotations?.[STORAGE_PROVISIONER_ANNOTATION] !== cls.provisioner) {
        const annotations = {
          [STORAGE_PROVISIONER_ANNOTATION]: cls.provisioner,
          "volume.beta.kubernetes.io/storage-provisioner": cls.provisioner,
        };
        await ctx.client.patch(ref, name, { metadata: { annotations } }, "merge");
        ctx.recorder.event(
          pvc,
          "Normal",
          "ExternalProvisioning",
          `Waiting for a volume to be created either by the external provisioner '${cls.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
        );
      }
      return setClaimPhase(pvc, "Pending");
    }
    if (!delayed)
      ctx.recorder.event(
        pvc,
        "Normal",
        "FailedBinding",
        "no persistent volumes available for this claim and no storage class is set",
      );
    return setClaimPhase(pvc, "Pending");
  }

  async function bind(pv: PersistentVolume, pvc: PersistentVolumeClaim): Promise<void> {
    const claimRef: core.ObjectReference = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      namespace: pvc.metadata?.namespace,
      name: pvc.metadata?.name,
      uid: pvc.metadata?.uid,
      resourceVersion: pvc.metadata?.resourceVersion,
    };
    let volume = pv;
    if (pv.spec?.claimRef?.uid !== pvc.metadata?.uid) {
      volume = await ctx.client.update<PersistentVolume>(pvRef, {
        ...pv,
        metadata: {
          ...pv.metadata,
          annotations: { ...(pv.metadata?.annotations ?? {}), "pv.kubernetes.io/bound-by-controller": "yes" },
        },
        spec: { ...pv.spec, claimRef },
      });
    }
    if (volume.status?.phase !== "Bound")
      volume = await ctx.client.update<PersistentVolume>(
        pvRef,
        { ...volume, status: { ...volume.status, phase: "Bound" } },
        {},
        "status",
      );
    const ref = inNamespace(pvcRef, pvc.metadata?.namespace);
    let claim = pvc;
    if (pvc.spec?.volumeName !== pv.metadata?.name) {
      claim = await ctx.client.update<PersistentVolumeClaim>(ref, {
        ...pvc,
        metadata: {
          ...pvc.metadata,
          annotations: {
            ...(pvc.metadata?.annotations ?? {}),
            "pv.kubernetes.io/bind-completed": "yes",
            "pv.kubernetes.io/bound-by-controller": "yes",
          },
        },
        spec: { ...pvc.spec, volumeName: pv.metadata?.name },
      });
    }
    await ctx.client.update(
      ref,
      {
        ...claim,
        status: {
          ...claim.status,
          phase: "Bound",
          accessModes: volume.spec?.accessModes,
          capacity: volume.spec?.capacity,
        },
      },
      {},
      "status",
    );
  }

  async function setClaimPhase(pvc: PersistentVolumeClaim, phase: string): Promise<void> {
    if (pvc.status?.phase === phase) return;
    await ctx.client.update(
      inNamespace(pvcRef, pvc.metadata?.namespace),
      { ...pvc, status: { ...pvc.status, phase } },
      {},
      "status",
    );
  }

  async function syncVolume(name: string): Promise<void> {
    const pv = volumes.lister.get(undefined, name);
    if (!pv || pv.metadata?.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    let phase = pv.status?.phase ?? "Pending";
    if (!ref) phase = "Available";
    else if (ref.uid) {
      const pvc = claims.lister.get(ref.namespace, ref.name ?? "");
      if (!pvc || pvc.metadata?.uid !== ref.uid) {
        // Check the API before releasing: the cache may not have the claim yet.
        try {
          const live = await ctx.client.get<PersistentVolumeClaim>(inNamespace(pvcRef, ref.namespace), ref.name ?? "");
          if (live.metadata?.uid === ref.uid) return;
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
        phase = "Released";
      }
    }
    if (phase === "Released" && (pv.spec?.persistentVolumeReclaimPolicy ?? "Retain") === "Delete") {
      // Provisioned volumes are deleted by their provisioner, which must clean up the storage first.
      if (pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION]) {
        if (pv.status?.phase !== "Released")
          await ctx.client.update(pvRef, { ...pv, status: { ...pv.status, phase } }, {}, "status");
        return;
      }
      await ctx.client.delete(pvRef, name);
      return;
    }
    if (pv.status?.phase !== phase && !(phase === "Pending" && pv.status?.phase)) {
      await ctx.client.update(pvRef, { ...pv, status: { ...pv.status, phase } }, {}, "status");
    }
  }

  return controller;
}
