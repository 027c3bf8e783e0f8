// Bookkeeping shared by apply and ordinary writes: reading the managers an object carries (honouring a
// client that rewrites managedFields), and writing them back after ownership moved with the change.

import type { KubeObject } from "../../api/types.ts";
import { type Comparison, fieldSetOf, type WalkOptions } from "./field-walk.ts";
import { jsonEqual } from "./json.ts";
import {
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  type Manager,
  sameManager,
} from "./managed-fields.ts";
import { transferOwnership } from "./ownership.ts";

export interface TrackedFields {
  /** Top-level fields nobody owns through this endpoint (e.g. ["status"] on a main resource). */
  ignoreFields?: string[];
  /** The only top-level fields this endpoint writes (e.g. ["status"] for the status subresource). */
  onlyFields?: string[];
}

/**
 * The managers `current` carries. A client may replace them by sending different managedFields with its
 * write (`requested`); an object that has none yet is owned by "before-first-apply" on its first apply.
 */
export function managersOf(
  current: KubeObject | undefined,
  requested: KubeObject["metadata"] | undefined,
  opts: WalkOptions,
  applying: boolean,
): Manager[] {
  const live = current?.metadata?.managedFields;
  const asked = requested?.managedFields;
  if (Array.isArray(asked) && asked.length > 0 && !jsonEqual(asked, live)) {
    const decoded = decodeManagedFields(asked);
    if (decoded.length > 0) return decoded;
  }
  const managers = decodeManagedFields(live);
  if (current && applying && managers.length === 0)
    return [
      {
        manager: "before-first-apply",
        operation: "Update",
        apiVersion: current.apiVersion ?? "",
        fields: fieldSetOf(current, opts),
      },
    ];
  return managers;
}

/**
 * Moves ownership for the change from `current` to `next` (conflicts unless `force`), stamps the actor's
 * entry with `now` when it did something, and returns `next` carrying the encoded managedFields. A write that
 * changes nothing keeps the live entries as they are, so it stays a no-op.
 */
export function commitManagers(input: {
  /** The actor's entry before this write, if it had one. */
  previous: Manager | undefined;
  next: KubeObject;
  change: Comparison;
  managers: Manager[];
  actor: Omit<Manager, "fields">;
  force: boolean;
  now: string;
}): KubeObject {
  const { next, actor, now, change, previous } = input;
  const moved = transferOwnership(input.managers, change, actor, input.force);
  // An update is news only when it set something (upstream's managedFieldsUpdater); an apply whenever it
  // changed the object or the applier's fields.
  const unchanged = (m: Manager) =>
    previous?.time !== undefined &&
    (actor.operation === "Update"
      ? change.added.isEmpty() && change.modified.isEmpty()
      : isEmptyChange(change) && previous.fields.equals(m.fields));
  const stamped = moved.map((m) => (sameManager(m, actor) ? { ...m, time: unchanged(m) ? previous?.time : now } : m));
  const entries = encodeManagedFields(capUpdateManagers(stamped));
  const metadata = { ...(next.metadata ?? {}) };
  if (entries.length > 0) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { ...next, metadata };
}

export function isEmptyChange(c: Comparison): boolean {
  return c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty();
}
