// Which scheduled time a CronJob owes a Job for, and how many it missed. Pure.
import { nextAfter, type Schedule } from './schedule.js';

/** Kubernetes warns when more start times than this were missed. */
export const MAX_MISSED_SCHEDULES = 100;

export interface DueSchedule {
  /** the latest scheduled time in (earliest, now], if any */
  readonly mostRecent?: Date;
  /** scheduled times missed since `earliest` (or since now − startingDeadlineSeconds), up to MAX_MISSED_SCHEDULES + 1 */
  readonly missed: number;
  /** more than MAX_MISSED_SCHEDULES were missed */
  readonly tooMany: boolean;
}

export interface DueOptions {
  /** the last scheduled time a Job was made for, else the CronJob's creation */
  readonly earliest: Date;
  readonly now: Date;
  readonly timeZone: string;
  /** only times after now − this count as missed */
  readonly startingDeadlineSeconds?: number;
}

/**
 * The scheduled time due now: the latest one after `earliest` and not after `now`. Missed times
 * are counted from `earliest`, or from now − startingDeadlineSeconds when that is later, as
 * Kubernetes counts them; counting stops past MAX_MISSED_SCHEDULES.
 */
export function dueSchedule(schedule: Schedule, opts: DueOptions): DueSchedule {
  const { earliest, now, timeZone } = opts;
  if (earliest.getTime() > now.getTime()) return { missed: 0, tooMany: false };
  const deadline = opts.startingDeadlineSeconds;
  const countFrom = deadline !== undefined ? new Date(Math.max(earliest.getTime(), now.getTime() - deadline * 1000)) : earliest;
  let missed = 0;
  let last: Date | undefined;
  for (let t = nextAfter(schedule, countFrom, timeZone); t && t.getTime() <= now.getTime(); t = nextAfter(schedule, t, timeZone)) {
    last = t;
    if (++missed > MAX_MISSED_SCHEDULES) break;
  }
  const tooMany = missed > MAX_MISSED_SCHEDULES;
  let mostRecent = tooMany || countFrom !== earliest ? latestAtOrBefore(schedule, now, timeZone) : last;
  if (mostRecent && mostRecent.getTime() <= earliest.getTime()) mostRecent = undefined;
  return { ...(mostRecent ? { mostRecent } : {}), missed, tooMany };
}

/**
 * The latest scheduled time not after `now`: looks back over windows of 1 minute, 2, 4, ...
 * (up to about 8 years) for one that holds a scheduled time, then walks forward through it.
 */
export function latestAtOrBefore(schedule: Schedule, now: Date, timeZone: string): Date | undefined {
  const limit = 8 * 366 * 24 * 3600_000;
  for (let window = 60_000; window <= limit; window *= 2) {
    let t = nextAfter(schedule, new Date(now.getTime() - window), timeZone);
    if (!t || t.getTime() > now.getTime()) continue;
    for (let n = nextAfter(schedule, t, timeZone); n && n.getTime() <= now.getTime(); n = nextAfter(schedule, n, timeZone)) t = n;
    return t;
  }
  return undefined;
}

