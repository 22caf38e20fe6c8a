// Table-driven tests of the cron parser and nextAfter, daylight saving time included.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { dueSchedule, latestAtOrBefore } from './missed-schedules.js';
import { formatInZone, nextAfter, parseSchedule, ScheduleError } from './schedule.js';

const at = (iso: string) => new Date(iso);

describe('nextAfter', () => {
  const cases: { name: string; schedule: string; after: string; tz?: string; want: (string | undefined)[] }[] = [
    { name: 'every minute', schedule: '* * * * *', after: '2025-01-01T10:07:30Z', want: ['2025-01-01T10:08:00Z', '2025-01-01T10:09:00Z'] },
    { name: 'strictly after an exact match', schedule: '0 * * * *', after: '2025-01-01T10:00:00Z', want: ['2025-01-01T11:00:00Z'] },
    { name: 'steps', schedule: '*/15 * * * *', after: '2025-01-01T10:07:00Z', want: ['2025-01-01T10:15:00Z', '2025-01-01T10:30:00Z', '2025-01-01T10:45:00Z', '2025-01-01T11:00:00Z'] },
    { name: 'range with step', schedule: '5-10/2 * * * *', after: '2025-01-01T10:05:00Z', want: ['2025-01-01T10:07:00Z', '2025-01-01T10:09:00Z', '2025-01-01T11:05:00Z'] },
    { name: 'N/step runs to the maximum', schedule: '7/20 * * * *', after: '2025-01-01T10:00:00Z', want: ['2025-01-01T10:07:00Z', '2025-01-01T10:27:00Z', '2025-01-01T10:47:00Z', '2025-01-01T11:07:00Z'] },
    { name: 'lists', schedule: '0 8,12,18 * * *', after: '2025-01-01T12:00:00Z', want: ['2025-01-01T18:00:00Z', '2025-01-02T08:00:00Z'] },
    { name: 'weekday names and ranges', schedule: '0 9 * * MON-FRI', after: '2025-01-03T09:00:00Z', want: ['2025-01-06T09:00:00Z'] },
    { name: 'month names, any case, and ?', schedule: '0 12 1 JAN,jul ?', after: '2025-02-01T00:00:00Z', want: ['2025-07-01T12:00:00Z', '2026-01-01T12:00:00Z'] },
    { name: 'restricted day-of-month OR day-of-week', schedule: '0 0 1,15 * 1', after: '2025-01-01T00:00:00Z', want: ['2025-01-06T00:00:00Z', '2025-01-13T00:00:00Z', '2025-01-15T00:00:00Z'] },
    { name: 'day-of-month with a step is restricted too', schedule: '0 0 */10 * 0', after: '2025-01-01T00:00:00Z', want: ['2025-01-05T00:00:00Z', '2025-01-11T00:00:00Z', '2025-01-12T00:00:00Z'] },
    { name: '* day-of-month AND day-of-week', schedule: '0 0 * * 0', after: '2025-01-01T00:00:00Z', want: ['2025-01-05T00:00:00Z'] },
    { name: 'leap day', schedule: '0 0 29 2 *', after: '2025-01-01T00:00:00Z', want: ['2028-02-29T00:00:00Z'] },
    { name: 'never (Feb 30)', schedule: '0 0 30 2 *', after: '2025-01-01T00:00:00Z', want: [undefined] },
    { name: '@yearly', schedule: '@yearly', after: '2025-06-01T00:00:00Z', want: ['2026-01-01T00:00:00Z'] },
    { name: '@annually', schedule: '@annually', after: '2025-01-01T00:00:00Z', want: ['2026-01-01T00:00:00Z'] },
    { name: '@monthly', schedule: '@monthly', after: '2025-01-31T12:00:00Z', want: ['2025-02-01T00:00:00Z'] },
    { name: '@weekly (Sunday midnight)', schedule: '@weekly', after: '2025-01-01T00:00:00Z', want: ['2025-01-05T00:00:00Z'] },
    { name: '@daily', schedule: '@daily', after: '2025-01-01T00:00:00Z', want: ['2025-01-02T00:00:00Z'] },
    { name: '@midnight', schedule: '@midnight', after: '2025-01-01T23:59:59Z', want: ['2025-01-02T00:00:00Z'] },
    { name: '@hourly', schedule: '@hourly', after: '2025-01-01T00:30:00Z', want: ['2025-01-01T01:00:00Z'] },
    { name: '@every from the second', schedule: '@every 90s', after: '2025-01-01T10:00:00.500Z', want: ['2025-01-01T10:01:30Z', '2025-01-01T10:03:00Z'] },
    { name: '@every below a second is a second', schedule: '@every 300ms', after: '2025-01-01T10:00:00Z', want: ['2025-01-01T10:00:01Z'] },
    { name: '@every 1h30m', schedule: '@every 1h30m', after: '2025-01-01T10:00:00Z', want: ['2025-01-01T11:30:00Z'] },
    { name: 'time zone, winter', schedule: '0 9 * * *', tz: 'Europe/Berlin', after: '2025-01-01T00:00:00Z', want: ['2025-01-01T08:00:00Z'] },
    { name: 'time zone, summer', schedule: '0 9 * * *', tz: 'Europe/Berlin', after: '2025-07-01T00:00:00Z', want: ['2025-07-01T07:00:00Z'] },
    { name: 'half-hour zone', schedule: '0 0 * * *', tz: 'Asia/Kolkata', after: '2025-01-01T00:00:00Z', want: ['2025-01-01T18:30:00Z'] },
    { name: 'TZ= prefix wins over the zone given', schedule: 'TZ=Asia/Tokyo 0 9 * * *', tz: 'Europe/Berlin', after: '2025-01-01T01:00:00Z', want: ['2025-01-02T00:00:00Z'] },
    { name: 'CRON_TZ= prefix', schedule: 'CRON_TZ=America/New_York 0 0 * * *', after: '2025-01-01T00:00:00Z', want: ['2025-01-01T05:00:00Z'] },
    // America/New_York: 2025-03-09 02:00 EST → 03:00 EDT (07:00Z); 2025-11-02 02:00 EDT → 01:00 EST (06:00Z).
    { name: 'DST spring forward: the skipped wall time does not run that day', schedule: '30 2 * * *', tz: 'America/New_York', after: '2025-03-08T08:00:00Z', want: ['2025-03-10T06:30:00Z'] },
    { name: 'DST spring forward: hourly jumps from 01:00 EST to 03:00 EDT', schedule: '0 * * * *', tz: 'America/New_York', after: '2025-03-09T06:00:00Z', want: ['2025-03-09T07:00:00Z', '2025-03-09T08:00:00Z'] },
    { name: 'DST fall back: the repeated wall time runs twice', schedule: '30 1 * * *', tz: 'America/New_York', after: '2025-11-02T05:00:00Z', want: ['2025-11-02T05:30:00Z', '2025-11-02T06:30:00Z', '2025-11-03T06:30:00Z'] },
    { name: 'DST fall back: hourly runs every real hour', schedule: '0 * * * *', tz: 'America/New_York', after: '2025-11-02T04:30:00Z', want: ['2025-11-02T05:00:00Z', '2025-11-02T06:00:00Z', '2025-11-02T07:00:00Z'] },
    // Europe/Berlin: 2025-03-30 02:00 CET → 03:00 CEST (01:00Z); 2025-10-26 03:00 CEST → 02:00 CET (01:00Z).
    { name: 'DST Berlin spring: 02:30 skipped on the 30th', schedule: '30 2 * * *', tz: 'Europe/Berlin', after: '2025-03-29T02:00:00Z', want: ['2025-03-31T00:30:00Z'] },
    { name: 'DST Berlin fall: 02:30 twice on the 26th', schedule: '30 2 * * *', tz: 'Europe/Berlin', after: '2025-10-25T12:00:00Z', want: ['2025-10-26T00:30:00Z', '2025-10-26T01:30:00Z', '2025-10-27T01:30:00Z'] },
    { name: 'DST: daily 09:00 keeps local time across the change', schedule: '0 9 * * *', tz: 'America/New_York', after: '2025-03-08T15:00:00Z', want: ['2025-03-09T13:00:00Z', '2025-03-10T13:00:00Z'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      let t = at(c.after);
      for (const want of c.want) {
        const got = nextAfter(c.schedule, t, c.tz);
        assert.equal(got?.toISOString().replace('.000Z', 'Z'), want, `${c.schedule} after ${t.toISOString()}`);
        if (!got) break;
        t = got;
      }
    });
  }
});

describe('parseSchedule refuses what Kubernetes refuses', () => {
  const cases: [string, RegExp][] = [
    ['', /empty spec string/],
    ['* * * *', /expected exactly 5 fields, found 4: \[\* \* \* \*\]/],
    ['* * * * * *', /expected exactly 5 fields, found 6/],
    ['60 * * * *', /end of range \(60\) above maximum \(59\): 60/],
    ['* 24 * * *', /end of range \(24\) above maximum \(23\)/],
    ['* * 0 * *', /beginning of range \(0\) below minimum \(1\)/],
    ['* * * 13 *', /above maximum \(12\)/],
    ['* * * * 7', /above maximum \(6\)/],
    ['5-1 * * * *', /beginning of range \(5\) beyond end of range \(1\): 5-1/],
    ['*/0 * * * *', /step of range should be a positive number/],
    ['1-2-3 * * * *', /too many hyphens: 1-2-3/],
    ['*/2/3 * * * *', /too many slashes/],
    ['x * * * *', /failed to parse int from x/],
    ['* * * FOO *', /failed to parse int from FOO/],
    ['@fortnightly', /unrecognized descriptor: @fortnightly/],
    ['@every 1d', /failed to parse duration @every 1d/],
    ['TZ=Nowhere/Land * * * * *', /provided bad location Nowhere\/Land: unknown time zone Nowhere\/Land/],
  ];
  for (const [spec, want] of cases) {
    it(JSON.stringify(spec), () => assert.throws(() => parseSchedule(spec), (e: unknown) => e instanceof ScheduleError && want.test(e.message)));
  }
  it('accepts what Kubernetes accepts', () => {
    for (const spec of ['* * * * *', '0 0 * * SUN', '0-59/5 0-23 1-31 1-12 0-6', '? ? ? ? ?', '@every 5m', 'TZ=UTC @hourly', '  */5  *  *  *  *  ']) parseSchedule(spec);
  });
});

describe('due schedules', () => {
  const every = parseSchedule('*/5 * * * *');
  it('finds the latest time in (earliest, now] and counts the missed ones', () => {
    const due = dueSchedule(every, { earliest: at('2025-01-01T00:00:00Z'), now: at('2025-01-01T00:17:00Z'), timeZone: 'UTC' });
    assert.equal(due.mostRecent?.toISOString(), '2025-01-01T00:15:00.000Z');
    assert.equal(due.missed, 3);
    assert.equal(due.tooMany, false);
  });
  it('nothing is due before the first time', () => {
    const due = dueSchedule(every, { earliest: at('2025-01-01T00:00:00Z'), now: at('2025-01-01T00:04:59Z'), timeZone: 'UTC' });
    assert.equal(due.mostRecent, undefined);
  });
  it('more than 100 missed: too many, still the latest', () => {
    const due = dueSchedule(every, { earliest: at('2025-01-01T00:00:00Z'), now: at('2025-01-03T00:02:00Z'), timeZone: 'UTC' });
    assert.equal(due.tooMany, true);
    assert.equal(due.mostRecent?.toISOString(), '2025-01-03T00:00:00.000Z');
  });
  it('startingDeadlineSeconds limits what counts as missed', () => {
    const due = dueSchedule(every, { earliest: at('2025-01-01T00:00:00Z'), now: at('2025-01-03T00:02:00Z'), timeZone: 'UTC', startingDeadlineSeconds: 600 });
    assert.equal(due.tooMany, false);
    assert.equal(due.missed, 2);
    assert.equal(due.mostRecent?.toISOString(), '2025-01-03T00:00:00.000Z');
  });
  it('latestAtOrBefore looks back far enough', () => {
    assert.equal(latestAtOrBefore(parseSchedule('@yearly'), at('2025-06-01T00:00:00Z'), 'UTC')?.toISOString(), '2025-01-01T00:00:00.000Z');
    assert.equal(latestAtOrBefore(parseSchedule('0 0 30 2 *'), at('2025-06-01T00:00:00Z'), 'UTC'), undefined);
  });
  it('formats scheduled times in the zone', () => {
    assert.equal(formatInZone(at('2025-03-30T01:00:00Z'), 'Europe/Berlin'), '2025-03-30T03:00:00+02:00');
    assert.equal(formatInZone(at('2025-01-01T05:00:00Z'), 'America/New_York'), '2025-01-01T00:00:00-05:00');
    assert.equal(formatInZone(at('2025-01-01T05:00:00Z'), 'UTC'), '2025-01-01T05:00:00Z');
  });
});
