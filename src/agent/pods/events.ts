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

/** Identical events within this window are one Event whose count grows, as the kubelet's event correlator does. */
const AGGREGATE_WINDOW_MS = 10 * 60_000;
const REMEMBERED_EVENTS = 4096;

export function eventRecorder(client: KubeClient, nodeName: string): EventRecorder {
  // key → the Event written for it, so a repeat (a BackOff every sync) patches count instead of adding an object.
  const recent = new Map<
    string,
    { name: string; namespace: string; count: number; firstAt: number; written: Promise<unknown> }
  >();
  return (pod, type, reason, message, fieldPath) => {
    const ns = pod.metadata?.namespace ?? "default";
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const key = [pod.metadata?.uid, fieldPath ?? "", type, reason, message].join("\u0000");
    const seen = recent.get(key);
    if (seen && Date.now() - seen.firstAt < AGGREGATE_WINDOW_MS) {
      const count = ++seen.count;
      // After the write before it, so the count only grows and a patch never overtakes the create.
      seen.written = seen.written
        .then(() =>
          client.patch(inNamespace(events, seen.namespace), seen.name, { count, lastTimestamp: now }, "merge"),
        )
        .catch(() => recent.delete(key));
      return;
    }
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
    recent.delete(key);
    if (recent.size >= REMEMBERED_EVENTS) recent.delete(recent.keys().next().value as string);
    const written = client.create(inNamespace(events, ns), event).catch(() => recent.delete(key));
    recent.set(key, { name: event.metadata?.name as string, namespace: ns, count: 1, firstAt: Date.now(), written });
  };
}
