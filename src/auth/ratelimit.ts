// Failed-authentication rate limiting per client address: after `maxFailures` failures within `windowMs` an
// address is refused (429 + Retry-After) for `blockMs`, doubling on each repeat up to `maxBlockMs`. Successful
// requests are never counted, so a busy legitimate client is unaffected; memory is bounded.

export interface RateLimitOptions {
  maxFailures?: number;
  windowMs?: number;
  blockMs?: number;
  maxBlockMs?: number;
  /** Upper bound on tracked addresses; the least recently seen are forgotten first. */
  maxEntries?: number;
  now?: () => number;
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface AuthRateLimiter {
  /** Call before authenticating: refuse the request when the address is blocked. */
  check(address: string): RateLimitVerdict;
  recordFailure(address: string): void;
  /** A success clears the address's failure history (its block level decays with it). */
  recordSuccess(address: string): void;
}

interface Entry {
  failures: number[];
  blockedUntil: number;
  blocks: number;
}

export function createAuthRateLimiter(opts: RateLimitOptions = {}): AuthRateLimiter {
  const maxFailures = opts.maxFailures ?? 10;
  const windowMs = opts.windowMs ?? 60_000;
  const blockMs = opts.blockMs ?? 60_000;
  const maxBlockMs = opts.maxBlockMs ?? 15 * 60_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function touch(address: string): Entry {
    let entry = entries.get(address);
    if (entry) entries.delete(address);
    else entry = { failures: [], blockedUntil: 0, blocks: 0 };
    entries.set(address, entry); // re-insert: Map order is least recently seen first
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    return entry;
  }

  return {
    check(address) {
      const entry = entries.get(address);
      const t = now();
      if (!entry || entry.blockedUntil <= t) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.ceil((entry.blockedUntil - t) / 1000) };
    },
    recordFailure(address) {
      const entry = touch(address);
      const t = now();
      entry.failures = entry.failures.filter((f) => f > t - windowMs);
      entry.failures.push(t);
      if (entry.failures.length >= maxFailures) {
        entry.blockedUntil = t + Math.min(blockMs * 2 ** entry.blocks, maxBlockMs);
        entry.blocks++;
        entry.failures = [];
      }
    },
    recordSuccess(address) {
      const entry = entries.get(address);
      if (entry && entry.blockedUntil <= now()) entries.delete(address);
    },
  };
}
