// The event recorder: writes core/v1 Events with upstream's reasons and aggregates repeats the way
// client-go's EventCorrelator does — an identical event bumps `count`/`lastTimestamp` on the existing object,
// and more than 10 distinct messages for the same reason within 10 minutes collapse into one combined event.

import { consola } from "consola";
import type { Event, KubeObject } from "../api/types.ts";
import { events as eventsRef, inNamespace } from "../client/refs.ts";
import type { KubeClient } from "../client/types.ts";
import { type Clock, rfc3339 } from "./clock.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
  /** Resolves once every event recorded so far has been written (tests, shutdown). */
  flush(): Promise<void>;
}

const SIMILAR_WINDOW_MS = 10 * 60 * 1000;
const SIMILAR_MAX = 10;
const CACHE_MAX = 4096;

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
}

export function createEventRecorder(client: KubeClient, component: string, clock: Clock): EventRecorder {
  const seen = new Map<string, Seen>(); // exact repeats → the Event object to bump
  const similar = new Map<string, { messages: Set<string>; since: number }>();
  let pending: Promise<unknown> = Promise.resolve();
  let seq = 0;
  const log = consola.withTag("events");

  function remember<K, V>(map: Map<K, V>, key: K, value: V) {
    if (map.size >= CACHE_MAX) map.delete(map.keys().next().value as K);
    map.set(key, value);
  }

  function write(obj: KubeObject, type: EventType, reason: string, message: string): Promise<unknown> {
    const m = obj.metadata ?? {};
    const namespace = m.namespace || "default";
    const now = rfc3339(clock.now());
    const objectKey = `${obj.kind}/${namespace}/${m.name}/${m.uid}/${type}/${reason}`;

    // Many different messages for one reason: record them as one event, as upstream's aggregator does.
    let group = similar.get(objectKey);
    if (!group || clock.now() - group.since > SIMILAR_WINDOW_MS) {
      group = { messages: new Set(), since: clock.now() };
      remember(similar, objectKey, group);
    }
    group.messages.add(message);
    const text = group.messages.size > SIMILAR_MAX ? `(combined from similar events): ${message}` : message;
    const exactKey = group.messages.size > SIMILAR_MAX ? `${objectKey}/combined` : `${objectKey}/${message}`;

    const prior = seen.get(exactKey);
    const ref = inNamespace(eventsRef, namespace);
    if (prior) {
      prior.count++;
      const patch = { count: prior.count, lastTimestamp: now, message: text };
      return client.patch(ref, prior.name, patch, "merge").catch(() => {
        seen.delete(exactKey); // the event expired or was deleted: start a new one next time
      });
    }
    // Unique per recorder (a sequence), and across recorders in the same millisecond (a random tail).
    const tail = `${(seq++ % 0x10000).toString(16).padStart(4, "0")}${Math.floor(Math.random() * 0x100)
      .toString(16)
      .padStart(2, "0")}`;
    const name = `${m.name}.${clock.now().toString(16)}${tail}`;
    const entry: Seen = { name, namespace, count: 1, first: now };
    remember(seen, exactKey, entry);
    const ev: Event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
      },
      reason,
      message: text,
      type,
      source: { component },
      reportingComponent: component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    return client.create(ref, ev);
  }

  return {
    event(obj, type, reason, message) {
      pending = pending
        .then(() => write(obj, type, reason, message))
        .catch((err) => log.debug(`event ${reason} for ${obj.metadata?.name}: ${err}`));
    },
    flush: () => pending.then(() => undefined),
  };
}
