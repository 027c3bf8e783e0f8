// CronJob schedule arithmetic with `croner`: standard 5-field patterns and @hourly-style macros in the
// CronJob's timeZone, and upstream's rule for missed runs — only the most recent missed time is started,
// and more than 100 misses is worth a warning.

import { Cron } from "croner";

export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses a CronJob schedule; throws with croner's message for a bad pattern or time zone. */
export function parseSchedule(schedule: string, timeZone?: string): Cron<unknown> {
  // croner only notices a bad zone when computing a run; check it up front.
  if (timeZone && !isKnownTimeZone(timeZone)) throw new Error(`unknown time zone "${timeZone}"`);
  return new Cron(schedule, { paused: true, mode: "5-part", timezone: timeZone || "UTC" } as ConstructorParameters<
    typeof Cron
  >[1]);
}

export interface MissedRuns {
  /** The latest schedule time in (earliest, now], if any. */
  mostRecent?: number;
  /** How many schedule times fell in (earliest, now] (counting stops a little past 100). */
  missed: number;
  /** The first schedule time after now. */
  next?: number;
}

const COUNT_LIMIT = 101;

/** Schedule times after `earliest` up to `now` (upstream: mostRecentScheduleTime). */
export function missedRuns(cron: Cron<unknown>, earliest: number, now: number): MissedRuns {
  const next = cron.nextRun(new Date(now))?.getTime();
  // The latest run at or before now: previousRuns looks strictly before its reference.
  const latest = cron.previousRuns(1, new Date(now + 1))[0]?.getTime();
  if (latest === undefined || latest <= earliest) return { missed: 0, next };
  let missed = 0;
  let t: Date | null = new Date(earliest);
  while (missed < COUNT_LIMIT) {
    t = cron.nextRun(t);
    if (!t || t.getTime() > now) break;
    missed++;
  }
  return { mostRecent: latest, missed, next };
}
