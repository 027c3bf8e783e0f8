// Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors (=, ==, !=) from list/watch
// query strings, compiled once per request into predicates.

import type { KubeObject } from "../api/types.ts";
import { splitTerms } from "../client/selectors.ts";
import { badRequest } from "./errors.ts";

export type Predicate = (obj: KubeObject) => boolean;

interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!exists";
  values: string[];
}

function parseLabelTerm(term: string): Requirement {
  let m = /^!\s*([^\s=!(),]+)$/.exec(term);
  if (m) return { key: m[1], op: "!exists", values: [] };
  m = /^([^\s=!(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) return { key: m[1], op: m[2] as "in" | "notin", values: m[3].split(",").map((v) => v.trim()) };
  m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(term);
  if (m) return { key: m[1], op: m[2] === "!=" ? "!=" : "=", values: [m[3]] };
  m = /^([^\s=!(),]+)$/.exec(term);
  if (m) return { key: m[1], op: "exists", values: [] };
  throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case "=":
      return value === req.values[0];
    case "!=":
      return value !== req.values[0];
    case "in":
      return value !== undefined && req.values.includes(value);
    case "notin":
      return value === undefined || !req.values.includes(value);
    case "exists":
      return value !== undefined;
    case "!exists":
      return value === undefined;
  }
}

export function parseLabelSelector(text: string | null | undefined): Predicate | undefined {
  if (!text?.trim()) return undefined;
  const reqs = splitTerms(text).map(parseLabelTerm);
  return (obj) => {
    const labels = (obj.metadata?.labels ?? {}) as Record<string, string>;
    return reqs.every((r) => matches(r, labels[r.key]));
  };
}

/** Field values of an object: metadata.name/namespace plus the type's selectable fields. */
export type FieldGetter = (obj: KubeObject) => Record<string, string | undefined>;

export function parseFieldSelector(
  text: string | null | undefined,
  fields: FieldGetter | undefined,
): Predicate | undefined {
  if (!text?.trim()) return undefined;
  const reqs = splitTerms(text).map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    return { key: m[1].trim(), op: m[2] === "!=" ? "!=" : "=", value: m[3].trim() };
  });
  const probe = { metadata: {} };
  const known = new Set(["metadata.name", "metadata.namespace", ...Object.keys(fields?.(probe) ?? {})]);
  for (const r of reqs) {
    if (!known.has(r.key)) throw badRequest(`field label not supported: ${r.key}`);
  }
  return (obj) => {
    const values = fields ? fields(obj) : {};
    return reqs.every((r) => {
      const actual =
        r.key === "metadata.name"
          ? obj.metadata?.name
          : r.key === "metadata.namespace"
            ? (obj.metadata?.namespace ?? "")
            : (values[r.key] ?? "");
      return r.op === "=" ? actual === r.value : actual !== r.value;
    });
  };
}

export function both(a: Predicate | undefined, b: Predicate | undefined): Predicate | undefined {
  if (!a) return b;
  if (!b) return a;
  return (o) => a(o) && b(o);
}
