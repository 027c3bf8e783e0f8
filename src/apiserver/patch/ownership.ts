// The step every write shares (upstream's Updater.update): whoever changes a field takes it from the other
// managers (for apply, only when forced — otherwise that is a conflict), and removed fields belong to nobody.

import { ApplyConflictError } from "./errors.ts";
import type { Comparison } from "./field-walk.ts";
import { type FieldSet, pathString } from "./fieldset.ts";
import { type Manager, printManager, sameManager } from "./managed-fields.ts";

export function transferOwnership(
  managers: readonly Manager[],
  change: Comparison,
  actor: Omit<Manager, "fields">,
  force: boolean,
): Manager[] {
  const changed = change.modified.union(change.added);
  const conflicts: { manager: Manager; fields: FieldSet }[] = [];
  for (const m of managers) {
    if (sameManager(m, actor)) continue;
    const overlap = m.fields.intersection(changed);
    if (!overlap.isEmpty()) conflicts.push({ manager: m, fields: overlap });
  }
  if (conflicts.length > 0 && !force)
    throw conflictError(
      conflicts.flatMap((c) =>
        [...c.fields.paths()].map((path) => ({
          manager: printManager(c.manager),
          path,
        })),
      ),
    );
  return managers.map((m) => {
    const lost = conflicts.find((c) => c.manager === m)?.fields;
    const kept = lost ? m.fields.difference(lost) : m.fields;
    return { ...m, fields: kept.difference(change.removed) };
  });
}

/** Upstream's message: one conflict inline, several grouped by manager (sorted), one path a line. */
export function conflictError(conflicts: { manager: string; path: string[] }[]): ApplyConflictError {
  const flat = conflicts.map((c) => ({ ...c, field: pathString(c.path) }));
  if (flat.length === 1) {
    const [c] = flat;
    return new ApplyConflictError(`Apply failed with 1 conflict: conflict with ${c.manager}: ${c.field}`, flat);
  }
  const byManager = new Map<string, string[]>();
  for (const c of flat) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
  const lines = [...byManager.keys()]
    .sort()
    .flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? []).map((f) => `- ${f}`)]);
  return new ApplyConflictError(`Apply failed with ${flat.length} conflicts: ${lines.join("\n")}`, flat);
}
