// core/v1 Event: what `kubectl get events` and `kubectl describe` read. Validation is
// Kubernetes' legacy event validation (lenient, for old clients) plus the checks skiff asks of
// every client (involvedObject present, type Normal or Warning). events.k8s.io/v1 Events are the
// same stored objects (events-v1.ts) and reuse the checks and the table here.
import type { Event } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { invalid, notSupported, required } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import { isQualifiedName } from '../../api/validation/names.js';
import type { Strategy, TableColumn, TableConvertor } from '../strategy.js';
import { age } from './base.js';

const INFO: ResourceInfo = findResource('', 'v1', 'events')!;

export const EVENT_TYPES = ['Normal', 'Warning'] as const;
export const REPORTING_INSTANCE_LENGTH_LIMIT = 128;
export const ACTION_LENGTH_LIMIT = 128;
export const REASON_LENGTH_LIMIT = 128;
export const NOTE_LENGTH_LIMIT = 1024;

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });
const absent = (v: unknown): boolean => v === undefined || v === null || v === '';
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The field names errors use: core/v1 names, or events.k8s.io/v1 names for that API. */
export interface EventFieldNames {
  readonly involvedObject: string;
  readonly message: string;
  readonly reportingController: string;
  readonly source: string;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly count: string;
}

export const CORE_EVENT_FIELDS: EventFieldNames = {
  involvedObject: 'involvedObject',
  message: 'message',
  reportingController: 'reportingComponent',
  source: 'source',
  firstTimestamp: 'firstTimestamp',
  lastTimestamp: 'lastTimestamp',
  count: 'count',
};

/** Type errors for the fields an Event carries (core/v1 shape). */
function validateEventShape(ev: KubeObject, names: EventFieldNames, errs: FieldError[]): void {
  const strings: [string, string][] = [
    ['reason', 'reason'],
    ['message', names.message],
    ['type', 'type'],
    ['action', 'action'],
    ['reportingComponent', names.reportingController],
    ['reportingInstance', 'reportingInstance'],
    ['eventTime', 'eventTime'],
    ['firstTimestamp', names.firstTimestamp],
    ['lastTimestamp', names.lastTimestamp],
  ];
  for (const [key, field] of strings) {
    const v = ev[key];
    if (v !== undefined && v !== null && typeof v !== 'string') errs.push(typeInvalid(field, v, 'must be a string'));
  }
  for (const [key, field] of [
    ['eventTime', 'eventTime'],
    ['firstTimestamp', names.firstTimestamp],
    ['lastTimestamp', names.lastTimestamp],
  ] as const) {
    const v = ev[key];
    if (typeof v === 'string' && v !== '' && Number.isNaN(Date.parse(v))) errs.push(typeInvalid(field, v, 'must be an RFC 3339 timestamp'));
  }
  if (ev.count !== undefined && ev.count !== null && !Number.isInteger(ev.count)) errs.push(typeInvalid(names.count, ev.count, 'must be an integer'));
  for (const [key, field] of [
    ['involvedObject', names.involvedObject],
    ['source', names.source],
    ['series', 'series'],
    ['related', 'related'],
  ] as const) {
    const v = ev[key];
    if (v !== undefined && v !== null && !isObject(v)) errs.push(typeInvalid(field, v, 'must be an object'));
  }
}

/**
 * Kubernetes' legacyValidateEvent on a core/v1-shaped event: old-style events (no eventTime)
 * need their namespace to agree with the involved object's; new-style ones (eventTime set) need
 * reportingController, reportingInstance, action and reason, within length limits.
 */
export function validateLegacyEvent(ev: KubeObject, names: EventFieldNames = CORE_EVENT_FIELDS): FieldError[] {
  const errs: FieldError[] = [];
  validateEventShape(ev, names, errs);
  if (errs.length) return errs;
  const namespace = ev.metadata?.namespace ?? '';
  const involved = isObject(ev.involvedObject) ? ev.involvedObject : {};
  const involvedNS = str(involved.namespace);
  const nsField = `${names.involvedObject}.namespace`;
  if (absent(ev.eventTime)) {
    if (involvedNS === '') {
      if (namespace !== '' && namespace !== 'default') errs.push(invalid(nsField, involvedNS, 'does not match event.namespace'));
    } else if (namespace !== involvedNS) {
      errs.push(invalid(nsField, involvedNS, 'does not match event.namespace'));
    }
  } else {
    if (involvedNS === '' && namespace !== 'default' && namespace !== 'kube-system') errs.push(invalid(nsField, involvedNS, 'does not match event.namespace'));
    const controller = str(ev.reportingComponent);
    if (controller === '') errs.push(required(names.reportingController));
    else for (const m of isQualifiedName(controller)) errs.push(invalid(names.reportingController, controller, m));
    const instance = str(ev.reportingInstance);
    if (instance === '') errs.push(required('reportingInstance'));
    if (instance.length > REPORTING_INSTANCE_LENGTH_LIMIT) errs.push(invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LENGTH_LIMIT} characters`));
    const action = str(ev.action);
    if (action === '') errs.push(required('action'));
    if (action.length > ACTION_LENGTH_LIMIT) errs.push(invalid('action', '', `can have at most ${ACTION_LENGTH_LIMIT} characters`));
    const reason = str(ev.reason);
    if (reason === '') errs.push(required('reason'));
    if (reason.length > REASON_LENGTH_LIMIT) errs.push(invalid('reason', '', `can have at most ${REASON_LENGTH_LIMIT} characters`));
    if (str(ev.message).length > NOTE_LENGTH_LIMIT) errs.push(invalid(names.message, '', `can have at most ${NOTE_LENGTH_LIMIT} characters`));
  }
  return errs;
}

/** What skiff asks of every core/v1 event on top of the legacy rules. */
function validateCoreEvent(ev: KubeObject): FieldError[] {
  const errs = validateLegacyEvent(ev);
  if (ev.involvedObject === undefined || ev.involvedObject === null) errs.unshift(required('involvedObject'));
  if (!absent(ev.type) && typeof ev.type === 'string' && !(EVENT_TYPES as readonly string[]).includes(ev.type)) {
    errs.push(notSupported('type', ev.type, EVENT_TYPES));
  }
  return errs;
}

// ---- table ----

/** SOURCE: `component, host`, each falling back to reportingController / reportingInstance. */
export function formatEventSource(ev: Partial<Event>): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

const EVENT_COLUMNS: readonly TableColumn[] = [
  { name: 'Last Seen', type: 'string', priority: 0, description: 'The time at which the most recent occurrence of this event was recorded.' },
  { name: 'Type', type: 'string', priority: 0, description: 'Type of this event (Normal, Warning), new types could be added in the future' },
  { name: 'Reason', type: 'string', priority: 0, description: "This should be a short, machine understandable string that gives the reason for the transition into the object's current status." },
  { name: 'Object', type: 'string', priority: 0, description: 'The object that this event is about.' },
  { name: 'Subobject', type: 'string', priority: 1, description: 'The part of the object the event is about (e.g. a container: spec.containers{name}).' },
  { name: 'Source', type: 'string', priority: 1, description: 'The component reporting this event.' },
  { name: 'Message', type: 'string', priority: 0, description: 'A human-readable description of the status of this operation.' },
  { name: 'First Seen', type: 'string', priority: 1, description: 'The time at which the event was first recorded.' },
  { name: 'Count', type: 'string', priority: 1, description: 'The number of times this event has occurred.' },
  {
    name: 'Name',
    type: 'string',
    format: 'name',
    priority: 1,
    description: 'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  },
];

/**
 * `kubectl get events` columns, in Kubernetes' order (NAME comes last, wide only). Cells follow
 * the columns; server-side tables always carry the wide cells.
 */
export const eventTable: TableConvertor = {
  columns: EVENT_COLUMNS,
  cells(obj, now) {
    const ev = obj as Partial<Event>;
    const firstSeen = ev.firstTimestamp ? age(ev.firstTimestamp, now) : age(ev.eventTime, now);
    let lastSeen = ev.lastTimestamp ? age(ev.lastTimestamp, now) : firstSeen;
    let count = ev.count ?? 0;
    if (ev.series) {
      lastSeen = age(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      // Singleton events of the new API carry no count.
      count = 1;
    }
    const involved = ev.involvedObject ?? {};
    const kind = (involved.kind ?? '').toLowerCase();
    const target = involved.name ? `${kind}/${involved.name}` : kind;
    return [
      lastSeen,
      ev.type ?? '',
      ev.reason ?? '',
      target,
      involved.fieldPath ?? '',
      formatEventSource(ev),
      (ev.message ?? '').trim(),
      firstSeen,
      count,
      ev.metadata?.name ?? '',
    ];
  },
};

function involvedField(key: string): (obj: KubeObject) => string {
  return (obj) => (isObject(obj.involvedObject) ? str(obj.involvedObject[key]) : '');
}

/** The field selectors Kubernetes offers on core/v1 events. */
export const coreEventFieldSelectors: Readonly<Record<string, (obj: KubeObject) => string>> = {
  'involvedObject.kind': involvedField('kind'),
  'involvedObject.namespace': involvedField('namespace'),
  'involvedObject.name': involvedField('name'),
  'involvedObject.uid': involvedField('uid'),
  'involvedObject.apiVersion': involvedField('apiVersion'),
  'involvedObject.resourceVersion': involvedField('resourceVersion'),
  'involvedObject.fieldPath': involvedField('fieldPath'),
  reason: (obj) => str(obj.reason),
  reportingComponent: (obj) => str(obj.reportingComponent),
  source: (obj) => (isObject(obj.source) && str(obj.source.component)) || str(obj.reportingComponent),
  type: (obj) => str(obj.type),
};

export const eventStrategy: Strategy = {
  info: INFO,
  defaults() {},
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateCoreEvent(obj);
  },
  validateUpdate(newObj) {
    return validateCoreEvent(newObj);
  },
  table: eventTable,
  fieldSelectors: coreEventFieldSelectors,
};
