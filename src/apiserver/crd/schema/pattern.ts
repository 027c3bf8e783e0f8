// Schema `pattern`s are Go RE2 syntax; JavaScript reads nearly all of them, but Unicode mode rejects escapes
// RE2 allows (`\:`, `\_`). Compile with Unicode mode when possible, without it otherwise; cache the result.
// Exports: `compilePattern(pattern)` → RegExp, or undefined when JavaScript cannot read it at all.

const cache = new Map<string, RegExp | undefined>();

export function compilePattern(pattern: string): RegExp | undefined {
  if (cache.has(pattern)) return cache.get(pattern);
  let re: RegExp | undefined;
  for (const flags of ["u", ""]) {
    try {
      re = new RegExp(pattern, flags);
      break;
    } catch {
      // try the next, more lenient mode
    }
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(pattern, re);
  return re;
}
