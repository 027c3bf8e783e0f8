// Bound ServiceAccount tokens for projected volumes: requested with the TokenRequest API (bound to the pod)
// and requested again once 80% of their lifetime has passed, as the kubelet's token manager does.

import { consola } from "consola";
import type { KubeObject, Pod } from "../../api/types.ts";
import { inNamespace, serviceaccounts } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";

const log = consola.withTag("tokens");

export interface TokenSource {
  token(pod: Pod, key: string, audience: string | undefined, expirationSeconds: number): Promise<string>;
  /** Forgets the tokens of a pod that is gone. */
  forget(podUid: string): void;
}

export function tokenSource(client: KubeClient): TokenSource {
  const cache = new Map<string, { token: string; refreshAt: number }>();
  return {
    async token(pod, key, audience, expirationSeconds) {
      const uid = pod.metadata?.uid ?? "";
      const id = `${uid}/${key}`;
      const cached = cache.get(id);
      if (cached && Date.now() < cached.refreshAt) return cached.token;
      const ns = pod.metadata?.namespace ?? "default";
      const sa = pod.spec?.serviceAccountName ?? "default";
      try {
        const res = await client.create<KubeObject>(
          inNamespace(serviceaccounts, ns),
          {
            apiVersion: "authentication.k8s.io/v1",
            kind: "TokenRequest",
            metadata: { name: sa, namespace: ns },
            spec: {
              audiences: audience ? [audience] : [],
              expirationSeconds,
              boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name, uid },
            },
          },
          undefined,
          "token",
        );
        const token = res.status?.token as string;
        const expires = Date.parse(res.status?.expirationTimestamp ?? "") || Date.now() + expirationSeconds * 1000;
        const now = Date.now();
        cache.set(id, { token, refreshAt: now + (expires - now) * 0.8 });
        return token;
      } catch (err) {
        // Keep the pod starting (an older token, or none) and try again on the next sync.
        log.warn(`token for ${ns}/${pod.metadata?.name} (serviceaccount ${sa}): ${(err as Error).message}`);
        return cached?.token ?? "";
      }
    },
    forget(podUid) {
      for (const k of cache.keys()) if (k.startsWith(`${podUid}/`)) cache.delete(k);
    },
  };
}
