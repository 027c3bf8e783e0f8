// DefaultBinder: binds a pod to its node with the pods/binding subresource, as kube-scheduler does.

import type { Binding, Pod } from "../../api/types.ts";
import { inNamespace, pods } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import type { Plugin } from "../framework.ts";

export function defaultBinder(client: KubeClient): Plugin {
  return {
    name: "DefaultBinder",
    async bind(pod: Pod, nodeName: string) {
      const m = pod.metadata ?? {};
      const binding: Binding = {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: m.name, namespace: m.namespace, uid: m.uid },
        target: { kind: "Node", name: nodeName },
      };
      await client.create(inNamespace(pods, m.namespace), binding, undefined, "binding");
      return undefined;
    },
  };
}
