// Time as controllers see it: "now" and timers. Production uses the wall clock; tests inject a FakeClock and
// step it, so CronJob schedules, node heartbeats and deadlines are verified without sleeping.

export type TimerHandle = { cancel(): void };

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once `ms` have passed on this clock. */
  after(ms: number, fn: () => void): TimerHandle;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
};

interface PendingTimer {
  at: number;
  fn: () => void;
  seq: number;
}

/** A clock that only moves when told to; timers fire, in order, as `step`/`set` pass their time. */
export class FakeClock implements Clock {
  private current: number;
  private timers: PendingTimer[] = [];
  private seq = 0;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.current + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((t) => t !== timer);
      },
    };
  }

  /** Advances by `ms`, firing due timers in time order. */
  step(ms: number): void {
    this.set(this.current + ms);
  }

  /** Moves to `to` (never backwards), firing due timers in time order. */
  set(to: number | Date): void {
    const target = typeof to === "number" ? to : to.getTime();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = Math.max(this.current, target);
  }

  /** How many timers wait to fire (lets tests poll until a controller has armed its requeue). */
  pending(): number {
    return this.timers.length;
  }
}

/** RFC 3339 with second precision, as the API server stores metav1.Time. */
export function rfc3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}
