import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { eventStrategy } from './event.js';
import { coreToEventsV1, eventsV1Strategy as strategy, eventsV1ToCore } from './events-v1.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

const metadata = { name: 'web-1.17c9', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z' };
const pod = { kind: 'Pod', namespace: 'default', name: 'web-1' };

const v1Event: KubeObject = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata,
  eventTime: '2024-05-01T11:59:00.123456Z',
  series: { count: 3, lastObservedTime: '2024-05-01T11:59:50.000000Z' },
  reportingController: 'skiff.io/kubelet',
  reportingInstance: 'node-1',
  action: 'Pulling',
  reason: 'Pulled',
  regarding: pod,
  related: { kind: 'Node', name: 'node-1' },
  note: 'pulled image',
  type: 'Normal',
};

const coreEvent: KubeObject = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata,
  eventTime: '2024-05-01T11:59:00.123456Z',
  series: { count: 3, lastObservedTime: '2024-05-01T11:59:50.000000Z' },
  reportingComponent: 'skiff.io/kubelet',
  reportingInstance: 'node-1',
  action: 'Pulling',
  reason: 'Pulled',
  involvedObject: pod,
  related: { kind: 'Node', name: 'node-1' },
  message: 'pulled image',
  type: 'Normal',
};

describe('events.k8s.io/v1 ↔ core/v1 conversion', () => {
  it('maps every field both ways', () => {
    assert.deepEqual(eventsV1ToCore(v1Event), coreEvent);
    assert.deepEqual(coreToEventsV1(coreEvent), v1Event);
  });

  it('carries the deprecated fields of old-style events', () => {
    const old: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata,
      involvedObject: pod,
      reason: 'BackOff',
      message: 'x',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: '2024-05-01T11:00:00Z',
      lastTimestamp: '2024-05-01T11:30:00Z',
      count: 5,
    };
    const v1 = coreToEventsV1(old);
    assert.deepEqual(v1, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata,
      regarding: pod,
      reason: 'BackOff',
      note: 'x',
      deprecatedSource: { component: 'kubelet', host: 'node-1' },
      deprecatedFirstTimestamp: '2024-05-01T11:00:00Z',
      deprecatedLastTimestamp: '2024-05-01T11:30:00Z',
      deprecatedCount: 5,
    });
    assert.deepEqual(eventsV1ToCore(v1), old);
  });

  it('storage points at core/v1 events', () => {
    assert.equal(strategy.storage?.resource.group, '');
    assert.equal(strategy.storage?.resource.plural, 'events');
    assert.equal(strategy.storage?.toStorage(v1Event).kind, 'Event');
  });
});

describe('events.k8s.io/v1 validation', () => {
  const base = { ...v1Event };
  const cases: { name: string; fields: Record<string, unknown>; want: string[] }[] = [
    { name: 'complete', fields: {}, want: [] },
    {
      name: 'new-style fields required',
      fields: { eventTime: undefined, reportingController: undefined, reportingInstance: undefined, action: undefined, type: undefined, series: undefined },
      want: ['eventTime: Required value', 'type: Invalid value: "": has invalid value: '],
    },
    {
      name: 'reporting fields when eventTime is set',
      fields: { reportingController: undefined, reportingInstance: undefined, action: undefined, reason: undefined },
      want: ['reportingController: Required value', 'reportingInstance: Required value', 'action: Required value', 'reason: Required value'],
    },
    {
      name: 'deprecated fields must be unset',
      fields: { deprecatedCount: 2, deprecatedFirstTimestamp: '2024-05-01T11:00:00Z', deprecatedSource: { component: 'x' } },
      want: [
        'deprecatedFirstTimestamp: Invalid value: "": needs to be unset',
        'deprecatedCount: Invalid value: "": needs to be unset',
        'deprecatedSource: Invalid value: "": needs to be unset',
      ],
    },
    { name: 'series', fields: { series: { count: 1 } }, want: ['series.count: Invalid value: "": should be at least 2', 'series.lastObservedTime: Required value'] },
    { name: 'regarding namespace', fields: { regarding: { kind: 'Pod', name: 'x', namespace: 'other' } }, want: [] },
    { name: 'regarding cluster-scoped from a user namespace', fields: { regarding: { kind: 'Node', name: 'x' }, metadata: { ...metadata, namespace: 'dev' } }, want: ['regarding.namespace: Invalid value: "": does not match event.namespace'] },
    { name: 'type', fields: { type: 'Info' }, want: ['type: Invalid value: "": has invalid value: Info'] },
    { name: 'note too long', fields: { note: 'n'.repeat(1025) }, want: ['note: Invalid value: "": can have at most 1024 characters'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const obj = { ...base, ...c.fields };
      for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
      assert.deepEqual(strategy.validate(obj, ctx).map(formatFieldError), c.want);
    });
  }

  it('updates may change series only', () => {
    const next = { ...v1Event, series: { count: 4, lastObservedTime: '2024-05-01T11:59:59.000000Z' }, eventTime: '2024-05-01T11:59:00.123456789Z' };
    assert.deepEqual(strategy.validateUpdate(next, v1Event, ctx), []);
    const changed = { ...v1Event, note: 'other', reportingInstance: 'node-2', eventTime: '2024-05-01T11:59:01Z' };
    assert.deepEqual(strategy.validateUpdate(changed, v1Event, ctx).map(formatFieldError), [
      'note: Invalid value: "other": field is immutable',
      'reportingInstance: Invalid value: "node-2": field is immutable',
      'eventTime: Invalid value: "2024-05-01T11:59:01Z": field is immutable',
    ]);
  });
});

describe('events.k8s.io/v1 table and selectors', () => {
  it('same rows as core events', () => {
    assert.deepEqual(strategy.table.columns, eventStrategy.table.columns);
    assert.deepEqual(strategy.table.cells(v1Event, ctx.now), eventStrategy.table.cells(coreEvent, ctx.now));
    assert.deepEqual(strategy.table.cells(v1Event, ctx.now), ['10s', 'Normal', 'Pulled', 'pod/web-1', '', 'skiff.io/kubelet, node-1', 'pulled image', '59s', 3, 'web-1.17c9']);
  });

  it('selects on regarding.*, reason, type, reportingController', () => {
    assert.equal(strategy.fieldSelectors['regarding.name']!(v1Event), 'web-1');
    assert.equal(strategy.fieldSelectors['regarding.kind']!(v1Event), 'Pod');
    assert.equal(strategy.fieldSelectors.reportingController!(v1Event), 'skiff.io/kubelet');
    assert.equal(strategy.fieldSelectors.type!(v1Event), 'Normal');
  });
});
