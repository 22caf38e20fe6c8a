// events.k8s.io/v1 Event: another view of the stored core/v1 Events (as in Kubernetes), with
// the field mapping of Kubernetes' events conversion and the strict validation that API adds
// for new-style events (eventTime, reportingController, reportingInstance and action required;
// the deprecated* fields left to old clients).
import type { FieldError } from '../../api/field-errors.js';
import { invalid, required } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import type { Strategy, StorageConversion } from '../strategy.js';
import type { EventFieldNames } from './event.js';
import { EVENT_TYPES, eventTable, validateLegacyEvent } from './event.js';

const INFO: ResourceInfo = findResource('events.k8s.io', 'v1', 'events')!;
const CORE_INFO: ResourceInfo = findResource('', 'v1', 'events')!;

const V1_EVENT_FIELDS: EventFieldNames = {
  involvedObject: 'regarding',
  message: 'note',
  reportingController: 'reportingController',
  source: 'deprecatedSource',
  firstTimestamp: 'deprecatedFirstTimestamp',
  lastTimestamp: 'deprecatedLastTimestamp',
  count: 'deprecatedCount',
};

/** [events.k8s.io/v1 field, core/v1 field] for every field that is carried across. */
const FIELD_MAP: readonly (readonly [string, string])[] = [
  ['metadata', 'metadata'],
  ['eventTime', 'eventTime'],
  ['series', 'series'],
  ['reportingController', 'reportingComponent'],
  ['reportingInstance', 'reportingInstance'],
  ['action', 'action'],
  ['reason', 'reason'],
  ['regarding', 'involvedObject'],
  ['related', 'related'],
  ['note', 'message'],
  ['type', 'type'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

/** core/v1 Event → events.k8s.io/v1 Event. Returns a new object sharing nested values with `core`. */
export function coreToEventsV1(core: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event' };
  for (const [v1, c] of FIELD_MAP) if (core[c] !== undefined) out[v1] = core[c];
  return out;
}

/** events.k8s.io/v1 Event → core/v1 Event. Returns a new object sharing nested values with `ev`. */
export function eventsV1ToCore(ev: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'v1', kind: 'Event' };
  for (const [v1, c] of FIELD_MAP) if (ev[v1] !== undefined) out[c] = ev[v1];
  return out;
}

export const eventsV1Storage: StorageConversion = {
  resource: CORE_INFO,
  toStorage: eventsV1ToCore,
  fromStorage: coreToEventsV1,
};

const absent = (v: unknown): boolean => v === undefined || v === null || v === '';
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function validateSeries(ev: KubeObject): FieldError[] {
  const series = ev.series;
  if (!isObject(series)) return [];
  const errs: FieldError[] = [];
  if (typeof series.count !== 'number' || series.count < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
  if (absent(series.lastObservedTime)) errs.push(required('series.lastObservedTime'));
  return errs;
}

/** ValidateEventCreate for events.k8s.io/v1 (on the v1 shape). */
export function validateEventsV1Create(ev: KubeObject): FieldError[] {
  const errs = validateLegacyEvent(eventsV1ToCore(ev), V1_EVENT_FIELDS);
  if (errs.some((e) => e.type === 'FieldValueTypeInvalid')) return errs;
  errs.push(...validateSeries(ev));
  if (absent(ev.eventTime)) errs.push(required('eventTime'));
  if (!(EVENT_TYPES as readonly unknown[]).includes(ev.type)) errs.push(invalid('type', '', `has invalid value: ${String(ev.type ?? '')}`));
  if (!absent(ev.deprecatedFirstTimestamp)) errs.push(invalid('deprecatedFirstTimestamp', '', 'needs to be unset'));
  if (!absent(ev.deprecatedLastTimestamp)) errs.push(invalid('deprecatedLastTimestamp', '', 'needs to be unset'));
  if (!absent(ev.deprecatedCount) && ev.deprecatedCount !== 0) errs.push(invalid('deprecatedCount', '', 'needs to be unset'));
  const src = ev.deprecatedSource;
  if (isObject(src) && (!absent(src.component) || !absent(src.host))) errs.push(invalid('deprecatedSource', '', 'needs to be unset'));
  return errs;
}

/** Microsecond-precision comparison of two timestamps (sub-microsecond differences are tolerated). */
function sameMicroTime(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return same(a, b);
  const micro = (s: string): string | undefined => {
    const m = /^(.*?:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
    if (!m) return undefined;
    const t = Date.parse(`${m[1]}${m[3]}`);
    return Number.isNaN(t) ? undefined : `${t}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}`;
  };
  const ma = micro(a);
  const mb = micro(b);
  return ma !== undefined && mb !== undefined ? ma === mb : a === b;
}

/** ValidateEventUpdate for events.k8s.io/v1: only series (and metadata) may change. */
export function validateEventsV1Update(ev: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateLegacyEvent(eventsV1ToCore(ev), V1_EVENT_FIELDS);
  if (errs.some((e) => e.type === 'FieldValueTypeInvalid')) return errs;
  if (!same(ev.series, old.series)) errs.push(...validateSeries(ev));
  const immutable = [
    'regarding',
    'reason',
    'note',
    'deprecatedSource',
    'deprecatedFirstTimestamp',
    'deprecatedLastTimestamp',
    'deprecatedCount',
    'type',
    'action',
    'related',
    'reportingController',
    'reportingInstance',
  ];
  for (const f of immutable) if (!same(ev[f], old[f])) errs.push(invalid(f, ev[f] ?? null, 'field is immutable'));
  if (!sameMicroTime(ev.eventTime, old.eventTime)) errs.push(invalid('eventTime', ev.eventTime ?? null, 'field is immutable'));
  return errs;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function regardingField(key: string): (obj: KubeObject) => string {
  return (obj) => (isObject(obj.regarding) ? str(obj.regarding[key]) : '');
}

export const eventsV1Strategy: Strategy = {
  info: INFO,
  defaults() {},
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateEventsV1Create(obj);
  },
  validateUpdate(newObj, oldObj) {
    return validateEventsV1Update(newObj, oldObj);
  },
  table: {
    columns: eventTable.columns,
    cells(obj, now) {
      return eventTable.cells(eventsV1ToCore(obj), now);
    },
  },
  fieldSelectors: {
    'regarding.kind': regardingField('kind'),
    'regarding.namespace': regardingField('namespace'),
    'regarding.name': regardingField('name'),
    'regarding.uid': regardingField('uid'),
    'regarding.apiVersion': regardingField('apiVersion'),
    'regarding.resourceVersion': regardingField('resourceVersion'),
    'regarding.fieldPath': regardingField('fieldPath'),
    reason: (obj) => str(obj.reason),
    reportingController: (obj) => str(obj.reportingController),
    type: (obj) => str(obj.type),
  },
  storage: eventsV1Storage,
};
