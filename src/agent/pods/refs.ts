// Reads the ConfigMaps, Secrets, Services and PVCs a pod refers to, through the client, once per pod sync
// (a small memo so a pod naming one ConfigMap ten times costs one request).

import type { ConfigMap, KubeObject, Secret } from "../../api/types.ts";
import { isNotFound } from "../../client/client.ts";
import { configmaps, inNamespace, secrets } from "../../client/refs.ts";
import type { KubeClient, ResourceRef } from "../../client/types.ts";

export interface ObjectReader {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  get<T extends KubeObject>(ref: ResourceRef, name: string): Promise<T | undefined>;
}

export function objectReader(client: KubeClient): ObjectReader {
  const memo = new Map<string, Promise<KubeObject | undefined>>();
  const get = <T extends KubeObject>(ref: ResourceRef, name: string): Promise<T | undefined> => {
    const key = `${ref.group}/${ref.resource}/${ref.namespace ?? ""}/${name}`;
    let p = memo.get(key);
    if (!p) {
      p = client.get<T>(ref, name).catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      memo.set(key, p);
    }
    return p as Promise<T | undefined>;
  };
  return {
    get,
    configMap: (ns, name) => get<ConfigMap>(inNamespace(configmaps, ns), name),
    secret: (ns, name) => get<Secret>(inNamespace(secrets, ns), name),
  };
}

/** A Secret's value as text (data is base64). */
export function secretValue(secret: Secret, key: string): string | undefined {
  const v = secret.data?.[key];
  if (v !== undefined) return Buffer.from(v, "base64").toString("utf8");
  return secret.stringData?.[key];
}
