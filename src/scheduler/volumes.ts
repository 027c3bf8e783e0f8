// Wires the VolumeBinding plugin to the cluster: informers for claims, volumes and storage classes, a way to wait
// for a claim to be bound, and a hook telling the queue when volume changes may let waiting pods fit.

import type { KubeObject, PersistentVolume, PersistentVolumeClaim } from "../api/types.ts";
import type { InformerFactory } from "../client/informer.ts";
import { persistentvolumeclaims, persistentvolumes, storageclasses } from "../client/refs.ts";
import type { KubeClient } from "../client/types.ts";
import type { Plugin } from "./framework.ts";
import { volumeBinding } from "./plugins/volumebinding.ts";

export function volumeBindingFromInformers(client: KubeClient, factory: InformerFactory, onChange: () => void): Plugin {
  const claims = factory.informer<PersistentVolumeClaim>(persistentvolumeclaims);
  const volumes = factory.informer<PersistentVolume>(persistentvolumes);
  const classes = factory.informer<KubeObject>(storageclasses);
  const waiters = new Map<string, Set<(c: PersistentVolumeClaim) => void>>();
  const changed = (c: PersistentVolumeClaim) => {
    for (const w of waiters.get(`${c.metadata?.namespace}/${c.metadata?.name}`) ?? []) w(c);
    onChange();
  };
  claims.addEventHandler({ add: changed, update: (_o, c) => changed(c) });
  volumes.addEventHandler({ add: onChange, update: onChange });
  return volumeBinding({
    client,
    claims,
    volumes,
    classes,
    waitForClaim(namespace, name, check, timeoutMs) {
      const key = `${namespace}/${name}`;
      const current = claims.getByName(namespace, name);
      if (current && check(current)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const set = waiters.get(key) ?? new Set();
        waiters.set(key, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(waiter);
          if (set.size === 0) waiters.delete(key);
        };
        const waiter = (c: PersistentVolumeClaim) => {
          if (!check(c)) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for persistentvolumeclaim ${key} to be bound`));
        }, timeoutMs);
        set.add(waiter);
      });
    },
  });
}
