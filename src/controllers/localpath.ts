// The local-path provisioner (as k3s ships): the default StorageClass `local-path` (WaitForFirstConsumer) and,
// for each of its claims once the scheduler has picked a node, a hostPath PersistentVolume in
// <dataDir>/storage/pvc-<uid>_<namespace>_<name> pinned to that node. A Released volume with the Delete
// policy has its directory removed (when the node's storage is this machine's) and is deleted.

import { rm } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { consola } from "consola";
import type { PersistentVolume, PersistentVolumeClaim, storage } from "../api/types.ts";
import { persistentvolumeclaims as pvcRef, persistentvolumes as pvRef, storageclasses } from "../client/refs.ts";
import { ApiError } from "../client/types.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { keyOf, splitKey } from "./owner.ts";
import { DEFAULT_CLASS_ANNOTATION, PROVISIONED_BY_ANNOTATION, SELECTED_NODE_ANNOTATION } from "./persistentvolume.ts";

export const LOCAL_PATH_PROVISIONER = "rancher.io/local-path";
export const LOCAL_PATH_CLASS = "local-path";

export function localPathStorageClass(): storage.StorageClass {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: LOCAL_PATH_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
  };
}

/** The volume for a claim on a node: hostPath under the storage dir, node affinity to that node. */
export function localPathVolume(
  pvc: PersistentVolumeClaim,
  node: string,
  storageDir: string,
  cls: storage.StorageClass,
): PersistentVolume {
  const m = pvc.metadata ?? {};
  const name = `pvc-${m.uid}`;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name,
      annotations: { [PROVISIONED_BY_ANNOTATION]: cls.provisioner, "local.path.provisioner/selected-node": node },
    },
    spec: {
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? "0" },
      accessModes: pvc.spec?.accessModes ?? ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? "Delete",
      storageClassName: cls.metadata?.name,
      volumeMode: pvc.spec?.volumeMode ?? "Filesystem",
      hostPath: { path: join(storageDir, `${name}_${m.namespace}_${m.name}`), type: "DirectoryOrCreate" },
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: m.namespace, name: m.name, uid: m.uid },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] },
          ],
        },
      },
    },
  };
}

export function startLocalPathProvisioner(ctx: ControllerContext, dataDir: string | undefined): Controller {
  const storageDir = resolve(join(dataDir ?? "/var/lib/k3lite", "storage"));
  const claims = ctx.informer<PersistentVolumeClaim>(pvcRef);
  const volumes = ctx.informer<PersistentVolume>(pvRef);
  const classes = ctx.informer<storage.StorageClass>(storageclasses);
  const controller = newController(ctx, "local-path-provisioner", (key) =>
    key === "class" ? ensureClass() : key.startsWith("claim:") ? provision(key.slice(6)) : reclaim(key.slice(7)),
  );
  controller.enqueue("class");
  classes.addEventHandler({ onDelete: (c) => c.metadata?.name === LOCAL_PATH_CLASS && controller.enqueue("class") });
  const onClaim = (c: PersistentVolumeClaim) => controller.enqueue(`claim:${keyOf(c)}`);
  claims.addEventHandler({ onAdd: onClaim, onUpdate: (_, c) => onClaim(c) });
  const onVolume = (v: PersistentVolume) => controller.enqueue(`volume:${v.metadata?.name}`);
  volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_, v) => onVolume(v) });

  async function ensureClass(): Promise<void> {
    if (classes.lister.get(undefined, LOCAL_PATH_CLASS)) return;
    try {
      await ctx.client.create(storageclasses, localPathStorageClass());
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) return;
      // Without the right to create it, the class must come from elsewhere (a manifest, the server bootstrap).
      if (err instanceof ApiError && err.code === 403) {
        consola
          .withTag("local-path-provisioner")
          .warn(`cannot create StorageClass ${LOCAL_PATH_CLASS}: ${err.message}`);
        return;
      }
      throw err;
    }
  }

  async function provision(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pvc = claims.lister.get(namespace, name);
    if (!pvc || pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp) return;
    const cls = classes.lister.get(undefined, pvc.spec?.storageClassName ?? "");
    if (cls?.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const node = pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
    if (!node) return; // local volumes exist on one node: wait for the scheduler's choice
    const pv = localPathVolume(pvc, node, storageDir, cls);
    if (volumes.lister.get(undefined, pv.metadata?.name ?? "")) return;
    try {
      await ctx.client.create(pvRef, pv);
      ctx.recorder.event(
        pvc,
        "Normal",
        "ProvisioningSucceeded",
        `Successfully provisioned volume ${pv.metadata?.name}`,
      );
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  }

  async function reclaim(name: string): Promise<void> {
    const pv = volumes.lister.get(undefined, name);
    if (!pv || pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return;
    if (pv.status?.phase !== "Released" || pv.spec?.persistentVolumeReclaimPolicy !== "Delete") return;
    const path = pv.spec?.hostPath?.path;
    // Only ever remove what we made: a directory directly inside our storage dir.
    if (path && resolve(path).startsWith(storageDir + sep)) await rm(resolve(path), { recursive: true, force: true });
    try {
      await ctx.client.delete(pvRef, name);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  return controller;
}
