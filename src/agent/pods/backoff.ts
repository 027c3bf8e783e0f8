// Per-key exponential back-off with the kubelet's constants: 10 s doubling up to 5 min, forgotten after a
// container ran cleanly for 10 min. Used for container restarts (CrashLoopBackOff) and image pulls.

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;
const RESET_AFTER_MS = 600_000;

export class Backoff {
  private entries = new Map<string, { delayMs: number; at: number }>();

  constructor(
    private readonly initialMs = INITIAL_BACKOFF_MS,
    private readonly maxMs = MAX_BACKOFF_MS,
  ) {}

  /** Milliseconds left before `key` may be retried, counting from `since` (e.g. when the container exited). */
  remaining(key: string, since = Date.now()): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return Math.max(0, Math.max(since, e.at) + e.delayMs - Date.now());
  }

  /** Records a retry now: the next one waits twice as long. */
  next(key: string): void {
    const e = this.entries.get(key);
    this.entries.set(key, { delayMs: e ? Math.min(e.delayMs * 2, this.maxMs) : this.initialMs, at: Date.now() });
  }

  /** Forget `key` when it last ran longer than the reset period (or unconditionally without `ranForMs`). */
  reset(key: string, ranForMs = Number.POSITIVE_INFINITY): void {
    if (ranForMs >= RESET_AFTER_MS) this.entries.delete(key);
  }

  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  delayOf(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }
}
