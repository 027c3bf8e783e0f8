// Label and field selector strings (`app=web,tier!=db,env in (a,b),!legacy`; `spec.nodeName=n1`) parsed into
// predicates, for caches and fakes that filter locally what the API server filters for a list or watch.

import type { KubeObject } from "../api/types.ts";

type Labels = Record<string, string> | undefined;

/** Splits a selector on commas that are not inside parentheses (`a in (x,y)` stays one term). */
export function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter(Boolean);
}

/** A predicate for a label selector string; throws on a malformed term. */
export function parseLabelSelector(selector: string | undefined): (labels: Labels) => boolean {
  const tests = splitTerms(selector ?? "").map((term): ((labels: Record<string, string>) => boolean) => {
    const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) {
      const [, key, op, list] = set as unknown as [string, string, string, string];
      const values = list.split(",").map((v) => v.trim());
      return op === "in"
        ? (l) => key in l && values.includes(l[key] as string)
        : (l) => !(key in l) || !values.includes(l[key] as string);
    }
    const cmp = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term);
    if (cmp) {
      const [, key, op, value] = cmp as unknown as [string, string, string, string];
      return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    if (/^![^\s!=]+$/.test(term)) return (l) => !(term.slice(1) in l);
    if (/^[^\s!=()]+$/.test(term)) return (l) => term in l;
    throw new Error(`invalid label selector term "${term}"`);
  });
  return (labels) => tests.every((t) => t(labels ?? {}));
}

/** A predicate for a field selector string over dotted paths (`metadata.name`, `spec.nodeName`, `status.phase`). */
export function parseFieldSelector(selector: string | undefined): (obj: KubeObject) => boolean {
  const tests = splitTerms(selector ?? "").map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new Error(`invalid field selector term "${term}"`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    return (obj: KubeObject) => {
      const actual = fieldValue(obj, path);
      return op === "!=" ? actual !== value : actual === value;
    };
  });
  return (obj) => tests.every((t) => t(obj));
}

/** A field's value as a selector compares it: missing fields are "". */
export function fieldValue(obj: KubeObject, path: string): string {
  let value: unknown = obj;
  for (const part of path.split(".")) {
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value === undefined || value === null ? "" : String(value);
}
