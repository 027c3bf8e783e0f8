// The JSONPath subset CRDs use in additionalPrinterColumns and scale paths (as kubectl's own jsonpath reads
// them): `.spec.replicas`, `.metadata.labels['app.kubernetes.io/name']`, `.items[0].x`, `.items[*].x`,
// `.status.conditions[?(@.type=="Ready")].status`. Exports: `parseJsonPath(expr)`, `evaluateJsonPath(obj, expr)`.

type Step =
  | { field: string }
  | { index: number }
  | { all: true }
  | { filter: string[]; op: "==" | "!="; value: unknown };

const cache = new Map<string, Step[]>();

/** Parses an expression (optionally wrapped in `{}`); throws on syntax it does not support. */
export function parseJsonPath(expr: string): Step[] {
  const hit = cache.get(expr);
  if (hit) return hit;
  let s = expr.trim();
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1).trim();
  if (s.startsWith("$")) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ".") {
      const m = /^\.([^.[\]]*)/.exec(s.slice(i));
      if (!m) throw new Error(`invalid JSONPath ${expr}`);
      if (m[1] === "*") steps.push({ all: true });
      else if (m[1]) steps.push({ field: m[1] });
      i += m[0].length;
    } else if (s[i] === "[") {
      const end = closingBracket(s, i);
      steps.push(bracketStep(s.slice(i + 1, end).trim(), expr));
      i = end + 1;
    } else {
      throw new Error(`invalid JSONPath ${expr}: unexpected ${JSON.stringify(s[i])}`);
    }
  }
  cache.set(expr, steps);
  return steps;
}

function closingBracket(s: string, open: number): number {
  let quote = "";
  for (let j = open + 1; j < s.length; j++) {
    const c = s[j];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "]") return j;
  }
  throw new Error(`invalid JSONPath ${s}: unclosed [`);
}

function bracketStep(inner: string, expr: string): Step {
  if (inner === "*") return { all: true };
  if (/^-?\d+$/.test(inner)) return { index: Number(inner) };
  const quoted = /^'(.*)'$|^"(.*)"$/.exec(inner);
  if (quoted) return { field: quoted[1] ?? quoted[2] };
  const filter = /^\?\(@((?:\.[\w-]+)+)\s*(==|!=)\s*(.+)\)$/.exec(inner);
  if (filter) {
    const raw = filter[3].trim();
    const value = /^'.*'$/.test(raw) ? raw.slice(1, -1) : JSON.parse(raw);
    return {
      filter: filter[1].slice(1).split("."),
      op: filter[2] as "==" | "!=",
      value,
    };
  }
  throw new Error(`invalid JSONPath ${expr}: unsupported [${inner}]`);
}

function child(value: unknown, field: string): unknown {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)[field]
    : undefined;
}

/** Every value the expression selects in `obj` (an empty array when nothing matches). */
export function evaluateJsonPath(obj: unknown, expr: string | Step[]): unknown[] {
  let current: unknown[] = [obj];
  for (const step of typeof expr === "string" ? parseJsonPath(expr) : expr) {
    const next: unknown[] = [];
    for (const v of current) {
      if ("field" in step) {
        const c = child(v, step.field);
        if (c !== undefined) next.push(c);
      } else if ("index" in step) {
        if (Array.isArray(v)) {
          const c = v[step.index < 0 ? v.length + step.index : step.index];
          if (c !== undefined) next.push(c);
        }
      } else if ("all" in step) {
        if (Array.isArray(v)) next.push(...v);
        else if (v && typeof v === "object") next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          const got = step.filter.reduce<unknown>((acc, f) => child(acc, f), item);
          if ((got === step.value) === (step.op === "==")) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}
