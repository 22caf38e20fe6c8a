// Cron schedules as Kubernetes reads them (the standard 5-field syntax of robfig/cron's
// ParseStandard): minute hour day-of-month month day-of-week, each a comma-separated list of
// `*`, `?`, `N`, `N-M`, optionally `/step` (`N/step` means N to the maximum); month and weekday
// names (JAN, mon — any case); the descriptors @yearly @annually @monthly @weekly @daily
// @midnight @hourly; `@every <Go duration>`; an optional `TZ=<zone> ` / `CRON_TZ=<zone> ` prefix.
// When both day fields are restricted (neither starts with `*` or `?`), a day matches if either
// does, as in Vixie cron.
//
// Time zones (IANA names, through Intl) and daylight saving time, as robfig/cron v3 behaves:
// a wall-clock time skipped by a spring-forward transition does not fire that day; a wall-clock
// time that occurs twice at a fall-back transition fires at both instants.
//
// Pure: no clock, no I/O.
import { parseDurationNanos } from '../../api/duration.js';

/** Parse failure, with robfig/cron's wording. */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

export interface CronSchedule {
  readonly kind: 'cron';
  /** allowed values per field, indexed by value */
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly daysOfMonth: readonly boolean[];
  readonly months: readonly boolean[];
  readonly daysOfWeek: readonly boolean[];
  /** the field started with `*` or `?` (without a step > 1): it does not widen the other day field */
  readonly domStar: boolean;
  readonly dowStar: boolean;
  /** zone from a TZ= / CRON_TZ= prefix; it wins over the zone passed to nextAfter */
  readonly timeZone?: string;
}

export interface EverySchedule {
  readonly kind: 'every';
  /** whole seconds, at least one */
  readonly intervalMs: number;
  readonly timeZone?: string;
}

export type Schedule = CronSchedule | EverySchedule;

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DAYS_OF_MONTH: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DAYS_OF_WEEK: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** robfig/cron gives up looking for the next time this many years ahead. */
export const SEARCH_YEARS = 5;

/** Parses a schedule; throws ScheduleError when Kubernetes would refuse it. */
export function parseSchedule(spec: string): Schedule {
  let text = spec.trim();
  if (text === '') throw new ScheduleError('empty spec string');
  let timeZone: string | undefined;
  if (text.startsWith('TZ=') || text.startsWith('CRON_TZ=')) {
    const space = text.search(/\s/);
    const zone = text.slice(text.indexOf('=') + 1, space < 0 ? undefined : space);
    if (space < 0 || !isTimeZone(zone)) throw new ScheduleError(`provided bad location ${zone}: unknown time zone ${zone}`);
    timeZone = zone;
    text = text.slice(space).trim();
  }
  if (text.startsWith('@every ')) {
    let nanos: bigint;
    try {
      nanos = parseDurationNanos(text.slice('@every '.length).trim());
    } catch (e) {
      throw new ScheduleError(`failed to parse duration ${text}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const seconds = Number(nanos / 1_000_000_000n);
    return { kind: 'every', intervalMs: Math.max(1, seconds) * 1000, ...(timeZone ? { timeZone } : {}) };
  }
  if (text.startsWith('@')) {
    const expansion = DESCRIPTORS[text];
    if (expansion === undefined) throw new ScheduleError(`unrecognized descriptor: ${text}`);
    text = expansion;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) throw new ScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [mi, h, dom, mo, dow] = fields.map((f, i) => parseField(f, [MINUTES, HOURS, DAYS_OF_MONTH, MONTHS, DAYS_OF_WEEK][i]!));
  return {
    kind: 'cron',
    minutes: mi!.allowed,
    hours: h!.allowed,
    daysOfMonth: dom!.allowed,
    months: mo!.allowed,
    daysOfWeek: dow!.allowed,
    domStar: dom!.star,
    dowStar: dow!.star,
    ...(timeZone ? { timeZone } : {}),
  };
}

/** Whether Intl knows the IANA zone `name` ("UTC" included). */
export function isTimeZone(name: string): boolean {
  if (name === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first activation strictly after `after`, in `timeZone` (unless the schedule carries its
 * own); undefined when there is none within SEARCH_YEARS years (e.g. `0 0 30 2 *`). Throws
 * RangeError for an unknown time zone. `schedule` may be given as text (parsed, may throw
 * ScheduleError).
 */
export function nextAfter(schedule: Schedule | string, after: Date, timeZone = 'UTC'): Date | undefined {
  const s = typeof schedule === 'string' ? parseSchedule(schedule) : schedule;
  const t = after.getTime();
  if (s.kind === 'every') return new Date(Math.floor(t / 1000) * 1000 + s.intervalMs);
  const next = nextCron(s, t, s.timeZone ?? timeZone);
  return next === undefined ? undefined : new Date(next);
}

// ---- fields ----

function parseField(field: string, b: Bounds): { allowed: boolean[]; star: boolean } {
  const allowed = new Array<boolean>(b.max + 1).fill(false);
  let star = false;
  for (const part of field.split(',')) {
    const r = parseRange(part, b);
    for (let v = r.start; v <= r.end; v += r.step) allowed[v] = true;
    star ||= r.star;
  }
  return { allowed, star };
}

function parseRange(expr: string, b: Bounds): { start: number; end: number; step: number; star: boolean } {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseValue(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseValue(lowAndHigh[1]!, b);
    else throw new ScheduleError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseNumber(rangeAndStep[1]!);
    if (lowAndHigh.length === 1) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new ScheduleError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new ScheduleError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new ScheduleError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new ScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new ScheduleError(`step of range should be a positive number: ${expr}`);
  return { start, end, step, star };
}

function parseValue(expr: string, b: Bounds): number {
  const name = expr.toLowerCase();
  if (b.names && Object.hasOwn(b.names, name)) return b.names[name]!;
  return parseNumber(expr);
}

function parseNumber(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new ScheduleError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new ScheduleError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

// ---- the search ----

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** More than any UTC offset change at one transition: wall times this far before the start cannot be after it. */
const MAX_SHIFT = 3 * HOUR;

function dayMatches(s: CronSchedule, y: number, m: number, d: number): boolean {
  const dom = s.daysOfMonth[d] === true;
  const dow = s.daysOfWeek[new Date(Date.UTC(y, m - 1, d)).getUTCDay()] === true;
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

function nextCron(s: CronSchedule, after: number, timeZone: string): number | undefined {
  const zone = zoneOf(timeZone);
  const start = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  const startWall = zone.wall(start);
  const first = new Date(startWall);
  const limitYear = first.getUTCFullYear() + SEARCH_YEARS;
  // `day` walks calendar dates as UTC midnights of the local date.
  let day = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
  for (;;) {
    const date = new Date(day);
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    if (y > limitYear) return undefined;
    if (!s.months[m]) {
      day = Date.UTC(y, m, 1);
      continue;
    }
    if (dayMatches(s, y, m, d)) {
      const found = firstOnDay(s, zone, day, start, startWall);
      if (found !== undefined) return found;
    }
    day = Date.UTC(y, m - 1, d + 1);
  }
}

/** The earliest activation on the local date `day` (UTC midnight of that date) at or after `start`. */
function firstOnDay(s: CronSchedule, zone: Zone, day: number, start: number, startWall: number): number | undefined {
  const before = zone.offset(day - DAY);
  const after = zone.offset(day + 2 * DAY);
  for (let h = 0; h < 24; h++) {
    if (!s.hours[h]) continue;
    if (day + h * HOUR + HOUR <= startWall - MAX_SHIFT) continue;
    for (let mi = 0; mi < 60; mi++) {
      if (!s.minutes[mi]) continue;
      const wall = day + h * HOUR + mi * MINUTE;
      if (wall < startWall - MAX_SHIFT) continue;
      for (const instant of instantsOf(zone, wall, before, after)) if (instant >= start) return instant;
    }
  }
  return undefined;
}

/**
 * The instants whose local time is `wall` (a wall-clock time written as UTC ms): one usually,
 * none in a spring-forward gap, two in a fall-back overlap (ascending). `before`/`after` are the
 * zone's offsets a day either side, so only days with a transition need checking.
 */
function instantsOf(zone: Zone, wall: number, before: number, after: number): number[] {
  if (before === after) return [wall - before];
  const out: number[] = [];
  for (const off of [before, after]) {
    const t = wall - off;
    if (zone.offset(t) === off && !out.includes(t)) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

interface Zone {
  /** local wall-clock time of instant `t`, written as UTC ms (seconds kept) */
  wall(t: number): number;
  /** UTC offset at instant `t` in ms (local = t + offset) */
  offset(t: number): number;
}

const zones = new Map<string, Zone>();

function zoneOf(timeZone: string): Zone {
  let z = zones.get(timeZone);
  if (z) return z;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
  });
  const wall = (t: number): number => {
    const secondStart = Math.floor(t / 1000) * 1000;
    const p: Record<string, string> = {};
    for (const part of fmt.formatToParts(secondStart)) p[part.type] = part.value;
    let year = Number(p.year);
    if (p.era === 'BC' || p.era === 'B') year = 1 - year;
    const d = new Date(0);
    d.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
    d.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second), 0);
    return d.getTime() + (t - secondStart);
  };
  z = { wall, offset: (t) => wall(t) - t };
  zones.set(timeZone, z);
  return z;
}

/** RFC 3339 text of `t` as seen in `timeZone`: `2025-03-30T03:00:00+02:00`, or `...Z` when the offset is 0. */
export function formatInZone(t: Date, timeZone: string): string {
  const ms = Math.floor(t.getTime() / 1000) * 1000;
  const off = zoneOf(timeZone).offset(ms);
  const local = new Date(ms + off).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const minutes = Math.round(Math.abs(off) / MINUTE);
  const sign = off < 0 ? '-' : '+';
  return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
