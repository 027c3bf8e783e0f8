// Which Secrets, ConfigMaps, PersistentVolumeClaims and ServiceAccount a pod references: what the Node
// authorizer lets that pod's node read (upstream's node graph edges, computed per pod).
import type { Container, Pod } from "../api/types.ts";

export interface PodReferences {
  secrets: Set<string>;
  configMaps: Set<string>;
  persistentVolumeClaims: Set<string>;
  serviceAccount: string;
}

export function podReferences(pod: Pod): PodReferences {
  const refs: PodReferences = {
    secrets: new Set(),
    configMaps: new Set(),
    persistentVolumeClaims: new Set(),
    serviceAccount: pod.spec?.serviceAccountName || "default",
  };
  const add = (set: Set<string>, name: string | undefined) => {
    if (name) set.add(name);
  };
  const spec = pod.spec;
  for (const s of spec?.imagePullSecrets ?? []) add(refs.secrets, s.name);
  const containers: Container[] = [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...((spec?.ephemeralContainers ?? []) as Container[]),
  ];
  for (const c of containers) {
    for (const from of c.envFrom ?? []) {
      add(refs.secrets, from.secretRef?.name);
      add(refs.configMaps, from.configMapRef?.name);
    }
    for (const env of c.env ?? []) {
      add(refs.secrets, env.valueFrom?.secretKeyRef?.name);
      add(refs.configMaps, env.valueFrom?.configMapKeyRef?.name);
    }
  }
  for (const v of spec?.volumes ?? []) {
    add(refs.secrets, v.secret?.secretName);
    add(refs.configMaps, v.configMap?.name);
    add(refs.persistentVolumeClaims, v.persistentVolumeClaim?.claimName);
    if (v.ephemeral) add(refs.persistentVolumeClaims, `${pod.metadata?.name}-${v.name}`);
    for (const source of v.projected?.sources ?? []) {
      add(refs.secrets, source.secret?.name);
      add(refs.configMaps, source.configMap?.name);
    }
    // Volume plugins that take credentials from a Secret.
    add(refs.secrets, v.azureFile?.secretName);
    for (const ref of [
      v.cephfs?.secretRef,
      v.rbd?.secretRef,
      v.flexVolume?.secretRef,
      v.iscsi?.secretRef,
      v.csi?.nodePublishSecretRef,
    ]) {
      add(refs.secrets, ref?.name);
    }
  }
  return refs;
}
