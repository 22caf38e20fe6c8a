// CronJobs (pkg/registry/batch/cronjob/strategy.go, pkg/apis/batch/validation,
// pkg/apis/batch/v1/defaults.go): concurrencyPolicy Allow, suspend false, history limits 3 and
// 1; the schedule as the cron library Kubernetes uses reads it (five fields or a descriptor),
// no TZ= inside it (timeZone instead); the job template validated like a Job spec whose
// selector is generated later; names of at most 52 characters; the `kubectl get cronjobs` table.
import type { FieldError } from '../../api/field-errors.js';
import { invalid, notSupported, required } from '../../api/field-errors.js';
import { parseDurationNanos } from '../../api/duration.js';
import { formatLabelSelector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import { findResource } from '../../api/resources.js';
import { validateAnnotations, validateLabels } from '../../api/validation/metadata.js';
import type { Strategy, TableColumn } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, keepAllButStatus, keepStatus, resetStatus } from './base.js';
import type { JsonObject } from './pod-spec.js';
import { containerCells, eachObject, objectsOf, optObject, optString, typeInvalid, validateNonNegative } from './pod-spec.js';
import { defaultJobSpec, validateJobSpec } from './job.js';

const CRONJOB_INFO = findResource('batch', 'v1', 'cronjobs')!;

/** The Job name the controller builds is `<cronjob>-<11 characters>` and must stay a 63-character label. */
const MAX_CRONJOB_NAME_LENGTH = 52;

const unset = (v: unknown): boolean => v === undefined || v === null;

function specOf(obj: KubeObject): JsonObject {
  return isObject(obj.spec) ? obj.spec : {};
}

function statusOf(obj: KubeObject): JsonObject {
  return isObject(obj.status) ? obj.status : {};
}

// ---- schedules ----

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
const FIELD_BOUNDS = [MINUTES, HOURS, DAYS_OF_MONTH, MONTHS, DAYS_OF_WEEK];
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

class CronError extends Error {}

/** Go's strconv.Atoi on a cron number; a negative one is refused as robfig/cron refuses it. */
function parseCronInt(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) {
    throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  }
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, b: Bounds): number {
  const key = expr.toLowerCase();
  return b.names && Object.hasOwn(b.names, key) ? b.names[key]! : parseCronInt(expr);
}

/** One comma-separated part of a field: `*`, `?`, `N`, `N-M`, each optionally `/step`. */
function checkRange(expr: string, b: Bounds): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseCronInt(rangeAndStep[1]!);
    if (lowAndHigh.length === 1) end = b.max;
  } else if (rangeAndStep.length > 2) {
    throw new CronError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
}

/** Whether Go's time.LoadLocation knows `name` (IANA names; the runtime's tz database decides). */
function isKnownTimeZone(name: string): boolean {
  if (name === 'UTC' || name === '') return true;
  try {
    // Intl matches names case-insensitively; Go's tz database lookup does not.
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    return resolved === name || resolved.toLowerCase() !== name.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Why the cron library Kubernetes uses (robfig/cron ParseStandard) refuses `spec`, in its
 * words, or undefined when it accepts it: five fields (minute hour day-of-month month
 * day-of-week, with names, ranges, lists and steps), a descriptor (@yearly, @annually,
 * @monthly, @weekly, @daily, @midnight, @hourly) or `@every <duration>`, optionally after
 * `TZ=<zone> ` / `CRON_TZ=<zone> `.
 */
export function cronScheduleError(spec: string): string | undefined {
  try {
    if (spec.length === 0) throw new CronError('empty spec string');
    if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
      const i = spec.indexOf(' ');
      const eq = spec.indexOf('=');
      const zone = i < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
      if (i < 0 || !isKnownTimeZone(zone)) throw new CronError(`provided bad location ${zone}: unknown time zone ${zone}`);
      spec = spec.slice(i).trim();
    }
    if (spec.startsWith('@')) {
      if (DESCRIPTORS.has(spec)) return undefined;
      if (spec.startsWith('@every ')) {
        try {
          parseDurationNanos(spec.slice('@every '.length));
        } catch (e) {
          throw new CronError(`failed to parse duration ${spec}: ${e instanceof Error ? e.message : String(e)}`);
        }
        return undefined;
      }
      throw new CronError(`unrecognized descriptor: ${spec}`);
    }
    const fields = spec.split(/[ \t\n\v\f\r\u0085\u00a0]+/).filter((f) => f !== '');
    if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    fields.forEach((f, i) => {
      for (const part of f.split(',')) checkRange(part, FIELD_BOUNDS[i]!);
    });
    return undefined;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(v: unknown, errs: FieldError[]): void {
  if (unset(v)) return;
  const tz = optString(v, 'spec.timeZone', errs);
  if (typeof v !== 'string') return;
  if (tz === '') {
    errs.push(invalid('spec.timeZone', tz, 'timeZone must be nil or non-empty string'));
    return;
  }
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_PART.test(part)) {
      errs.push(invalid('spec.timeZone', tz, `unknown time zone ${tz}`));
      return;
    }
  }
  if (tz.toLowerCase() === 'local') errs.push(invalid('spec.timeZone', tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  else if (!isKnownTimeZone(tz)) errs.push(invalid('spec.timeZone', tz, `unknown time zone ${tz}`));
}

// ---- defaulting and validation ----

function defaultCronJob(obj: KubeObject): void {
  if (unset(obj.spec)) obj.spec = {};
  const spec = obj.spec;
  if (!isObject(spec)) return;
  if (unset(spec.concurrencyPolicy) || spec.concurrencyPolicy === '') spec.concurrencyPolicy = 'Allow';
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.successfulJobsHistoryLimit)) spec.successfulJobsHistoryLimit = 3;
  if (unset(spec.failedJobsHistoryLimit)) spec.failedJobsHistoryLimit = 1;
  if (unset(spec.jobTemplate)) spec.jobTemplate = {};
  if (!isObject(spec.jobTemplate)) return;
  if (unset(spec.jobTemplate.spec)) spec.jobTemplate.spec = {};
  if (isObject(spec.jobTemplate.spec)) defaultJobSpec(spec.jobTemplate.spec, false);
}

const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;

/** validateCronJobSpec; `oldSpec` on update (TZ= stays allowed in schedules that had it; an unchanged timeZone is not re-checked). */
function validateCronJobSpec(obj: KubeObject, oldSpec: JsonObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const spec = optObject(obj.spec, 'spec', errs);
  if (!spec) return errs.length ? errs : [required('spec')];

  const schedule = optString(spec.schedule, 'spec.schedule', errs);
  if (schedule === '') {
    if (typeof spec.schedule === 'string' || unset(spec.schedule)) errs.push(required('spec.schedule'));
  } else {
    const allowTZ = oldSpec !== undefined && typeof oldSpec.schedule === 'string' && oldSpec.schedule.includes('TZ');
    const problem = cronScheduleError(schedule);
    if (problem) errs.push(invalid('spec.schedule', schedule, problem));
    if (allowTZ && schedule.includes('TZ') && !unset(spec.timeZone)) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  if (!unset(spec.startingDeadlineSeconds)) errs.push(...validateNonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) validateTimeZone(spec.timeZone, errs);

  const policy = optString(spec.concurrencyPolicy, 'spec.concurrencyPolicy', errs);
  if (policy === '') {
    if (typeof spec.concurrencyPolicy === 'string' || unset(spec.concurrencyPolicy)) errs.push(required('spec.concurrencyPolicy'));
  } else if (!(CONCURRENCY_POLICIES as readonly string[]).includes(policy)) {
    errs.push(notSupported('spec.concurrencyPolicy', policy, CONCURRENCY_POLICIES));
  }
  if (typeof spec.suspend !== 'boolean' && !unset(spec.suspend)) errs.push(typeInvalid('spec.suspend', spec.suspend, 'must be a boolean'));

  const template = optObject(spec.jobTemplate, 'spec.jobTemplate', errs);
  if (template) {
    const meta = optObject(template.metadata, 'spec.jobTemplate.metadata', errs);
    if (meta) {
      errs.push(...validateLabels(meta.labels, 'spec.jobTemplate.metadata.labels'));
      errs.push(...validateAnnotations(meta.annotations, 'spec.jobTemplate.metadata.annotations'));
    }
    const jobSpec = optObject(template.spec, 'spec.jobTemplate.spec', errs);
    if (jobSpec) {
      validateJobSpec(jobSpec, 'spec.jobTemplate.spec', errs);
      if (!unset(jobSpec.selector)) errs.push(invalid('spec.jobTemplate.spec.selector', jobSpec.selector, '`selector` will be auto-generated'));
      if (jobSpec.manualSelector === true) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
    }
  }
  for (const key of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    if (!unset(spec[key])) errs.push(...validateNonNegative(spec[key], `spec.${key}`));
  }
  return errs;
}

function validateCronJobStatus(newObj: KubeObject): FieldError[] {
  if (!unset(newObj.status) && !isObject(newObj.status)) return [typeInvalid('status', newObj.status, 'must be an object')];
  const status = statusOf(newObj);
  const errs: FieldError[] = [];
  eachObject(status.active, 'status.active', errs, () => undefined);
  optString(status.lastScheduleTime, 'status.lastScheduleTime', errs);
  optString(status.lastSuccessfulTime, 'status.lastSuccessfulTime', errs);
  return errs;
}

// ---- table ----

const CRONJOB_COLUMNS: readonly TableColumn[] = [
  NAME_COLUMN,
  { name: 'Schedule', type: 'string', description: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.', priority: 0 },
  { name: 'Timezone', type: 'string', description: 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.', priority: 0 },
  { name: 'Suspend', type: 'boolean', description: 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.', priority: 0 },
  { name: 'Active', type: 'integer', description: 'A list of pointers to currently running jobs.', priority: 0 },
  { name: 'Last Schedule', type: 'string', description: 'Information when was the last time the job was successfully scheduled.', priority: 0 },
  AGE_COLUMN,
  { name: 'Containers', type: 'string', description: 'Names of each container in the template.', priority: 1 },
  { name: 'Images', type: 'string', description: 'Images referenced by each container in the template.', priority: 1 },
  { name: 'Selector', type: 'string', description: 'A label query over pods that should match the pod count.', priority: 1 },
];

function cronJobCells(obj: KubeObject, now: Date): unknown[] {
  const spec = specOf(obj);
  const status = statusOf(obj);
  const jobTemplate = isObject(spec.jobTemplate) ? spec.jobTemplate : {};
  const jobSpec = isObject(jobTemplate.spec) ? jobTemplate.spec : {};
  const podTemplate = isObject(jobSpec.template) ? jobSpec.template : {};
  const [names, images] = containerCells(podTemplate.spec);
  const suspend = typeof spec.suspend === 'boolean' ? (spec.suspend ? 'True' : 'False') : '<unset>';
  const last = typeof status.lastScheduleTime === 'string' ? age(status.lastScheduleTime, now) : '<none>';
  return [
    obj.metadata?.name ?? '',
    typeof spec.schedule === 'string' ? spec.schedule : '',
    typeof spec.timeZone === 'string' ? spec.timeZone : '<none>',
    suspend,
    objectsOf(status.active).length,
    last,
    age(obj.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(isObject(jobSpec.selector) ? jobSpec.selector : undefined),
  ];
}

export const cronJobStrategy: Strategy = {
  info: CRONJOB_INFO,

  defaults(obj) {
    defaultCronJob(obj);
  },

  prepareForCreate(obj) {
    resetStatus(obj);
  },

  prepareForUpdate(newObj, oldObj) {
    keepStatus(newObj, oldObj);
  },

  validate(obj) {
    const errs = validateCronJobSpec(obj, undefined);
    const name: unknown = isObject(obj.metadata) ? obj.metadata.name : undefined;
    if (typeof name === 'string' && name.length > MAX_CRONJOB_NAME_LENGTH) errs.push(invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`));
    return errs;
  },

  validateUpdate(newObj, oldObj) {
    // The 52-character name limit is not re-checked, so older long-named CronJobs stay editable.
    return validateCronJobSpec(newObj, specOf(oldObj));
  },

  prepareForStatusUpdate(newObj, oldObj) {
    keepAllButStatus(newObj, oldObj);
  },

  validateStatusUpdate(newObj) {
    return validateCronJobStatus(newObj);
  },

  table: { columns: CRONJOB_COLUMNS, cells: cronJobCells },

  fieldSelectors: {},
};
