// Records core/v1 Events about a pod (Pulled, Created, Started, Killing, BackOff, Unhealthy, ...) so that
// `kubectl describe pod` and `kubectl get events` tell what the agent did. Best effort: failures are ignored.

import type { Event, Pod } from "../../api/types.ts";
import { events, inNamespace } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";

export type EventRecorder = (
  pod: Pod,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
  fieldPath?: string,
) => void;

export function eventRecorder(client: KubeClient, nodeName: string): EventRecorder {
  return (pod, type, reason, message, fieldPath) => {
    const ns = pod.metadata?.namespace ?? "default";
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const event: Event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: {
        name: `${pod.metadata?.name}.${Date.now().toString(16)}${Math.random().toString(16).slice(2, 6)}`,
        namespace: ns,
      },
      involvedObject: {
        apiVersion: "v1",
        kind: "Pod",
        name: pod.metadata?.name,
        namespace: ns,
        uid: pod.metadata?.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: "kubelet", host: nodeName },
      reportingComponent: "kubelet",
      reportingInstance: nodeName,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    client.create(inNamespace(events, ns), event).catch(() => {});
  };
}
