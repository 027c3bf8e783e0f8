// metadata.managedFields: decoding entries into per-manager field sets and encoding them back, in upstream's
// order (Apply before Update, then oldest first), with upstream's manager identity and printed names.

import type { meta } from "../../api/types.ts";
import { FieldSet } from "./fieldset.ts";

export type ManagedFieldsEntry = meta.ManagedFieldsEntry;

export interface Manager {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  subresource?: string;
  time?: string;
  fields: FieldSet;
}

/**
 * Managers are the same when name, operation and subresource match and, for updates, the API version: an
 * applier keeps one entry whatever version it applies with (upstream's BuildManagerIdentifier).
 */
export function sameManager(a: Omit<Manager, "fields">, b: Omit<Manager, "fields">): boolean {
  return (
    a.manager === b.manager &&
    a.operation === b.operation &&
    (a.subresource ?? "") === (b.subresource ?? "") &&
    (a.operation === "Apply" || a.apiVersion === b.apiVersion)
  );
}

/** How conflicts name a manager: `"kubectl-client-side-apply" using apps/v1`. */
export function printManager(m: Omit<Manager, "fields">): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === "Update") s += ` using ${m.apiVersion}`;
  return s;
}

/**
 * Decodes entries; an entry that is not valid FieldsV1 makes the whole list unusable, and like upstream we
 * then start over rather than fail the write.
 */
export function decodeManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): Manager[] {
  if (!Array.isArray(entries)) return [];
  try {
    return entries.map((e) => {
      if (!e.manager && e.manager !== "") throw new Error("entry without manager");
      if (e.operation !== "Apply" && e.operation !== "Update") throw new Error(`bad operation ${e.operation}`);
      if (e.fieldsType !== undefined && e.fieldsType !== "FieldsV1") throw new Error(`bad fieldsType ${e.fieldsType}`);
      return {
        manager: e.manager,
        operation: e.operation,
        apiVersion: e.apiVersion ?? "",
        ...(e.subresource ? { subresource: e.subresource } : {}),
        ...(e.time ? { time: e.time } : {}),
        fields: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
      };
    });
  } catch {
    return [];
  }
}

export function encodeManagedFields(managers: readonly Manager[]): ManagedFieldsEntry[] {
  return managers
    .filter((m) => !m.fields.isEmpty())
    .sort(
      (p, q) =>
        cmp(p.operation, q.operation) ||
        cmp(p.time ?? "", q.time ?? "") ||
        cmp(p.manager, q.manager) ||
        cmp(p.apiVersion, q.apiVersion) ||
        cmp(p.subresource ?? "", q.subresource ?? ""),
    )
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: "FieldsV1",
      fieldsV1: m.fields.toFieldsV1(),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Upstream keeps at most 10 update managers; older ones fold into one "ancient-changes" entry. */
const maxUpdateManagers = 10;

export function capUpdateManagers(managers: Manager[]): Manager[] {
  const updates = managers.filter((m) => m.operation === "Update");
  if (updates.length <= maxUpdateManagers) return managers;
  const oldest = [...updates]
    .sort((p, q) => cmp(p.time ?? "", q.time ?? ""))
    .slice(0, updates.length - maxUpdateManagers + 1);
  const ancient: Manager = {
    manager: "ancient-changes",
    operation: "Update",
    apiVersion: oldest[oldest.length - 1].apiVersion,
    time: oldest[oldest.length - 1].time,
    fields: oldest.reduce((acc, m) => acc.union(m.fields), new FieldSet()),
  };
  return [...managers.filter((m) => !oldest.includes(m)), ancient];
}
