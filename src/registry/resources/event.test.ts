import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { eventStrategy as strategy } from './event.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function ev(fields: Record<string, unknown>, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-1.17c9', namespace, creationTimestamp: '2024-05-01T11:00:00Z' }, ...fields };
}

const pod = { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u-1', apiVersion: 'v1', fieldPath: 'spec.containers{web}' };

describe('core event validation', () => {
  const cases: { name: string; fields: Record<string, unknown>; namespace?: string; want: string[] }[] = [
    { name: 'old-style event', fields: { involvedObject: pod, reason: 'Pulled', message: 'ok', type: 'Normal', source: { component: 'kubelet', host: 'node-1' } }, want: [] },
    { name: 'node event in default namespace', fields: { involvedObject: { kind: 'Node', name: 'node-1' }, type: 'Normal' }, want: [] },
    { name: 'involvedObject required', fields: { reason: 'x' }, want: ['involvedObject: Required value'] },
    { name: 'namespace must match', fields: { involvedObject: pod }, namespace: 'other', want: ['involvedObject.namespace: Invalid value: "default": does not match event.namespace'] },
    { name: 'cluster-scoped object from another namespace', fields: { involvedObject: { kind: 'Node', name: 'n' } }, namespace: 'dev', want: ['involvedObject.namespace: Invalid value: "": does not match event.namespace'] },
    { name: 'type enum', fields: { involvedObject: pod, type: 'Error' }, want: ['type: Unsupported value: "Error": supported values: "Normal", "Warning"'] },
    {
      name: 'new-style event needs reporting fields',
      fields: { involvedObject: pod, eventTime: '2024-05-01T11:59:00.000000Z' },
      want: ['reportingComponent: Required value', 'reportingInstance: Required value', 'action: Required value', 'reason: Required value'],
    },
    {
      name: 'new-style event complete',
      fields: { involvedObject: pod, eventTime: '2024-05-01T11:59:00.000000Z', reportingComponent: 'skiff.io/scheduler', reportingInstance: 'sched-1', action: 'Binding', reason: 'Scheduled' },
      want: [],
    },
    {
      name: 'limits',
      fields: { involvedObject: pod, eventTime: '2024-05-01T11:59:00Z', reportingComponent: 'c', reportingInstance: 'i', action: 'a', reason: 'r'.repeat(129), message: 'm'.repeat(1025) },
      want: ['reason: Invalid value: "": can have at most 128 characters', 'message: Invalid value: "": can have at most 1024 characters'],
    },
    { name: 'wrong types', fields: { involvedObject: 'pod/web', count: 'two' }, want: ['count: Invalid value: "two": must be an integer', 'involvedObject: Invalid value: "pod/web": must be an object'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(strategy.validate(ev(c.fields, c.namespace), ctx).map(formatFieldError), c.want));
});

describe('core event table', () => {
  it('columns, NAME last', () => {
    assert.deepEqual(
      strategy.table.columns.map((c) => `${c.name}:${c.priority}`),
      ['Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Subobject:1', 'Source:1', 'Message:0', 'First Seen:1', 'Count:1', 'Name:1'],
    );
  });

  const cases: { name: string; fields: Record<string, unknown>; want: unknown[] }[] = [
    {
      name: 'old-style repeated event',
      fields: {
        involvedObject: pod,
        reason: 'BackOff',
        message: ' Back-off restarting failed container \n',
        type: 'Warning',
        source: { component: 'kubelet', host: 'node-1' },
        firstTimestamp: '2024-05-01T11:50:00Z',
        lastTimestamp: '2024-05-01T11:59:30Z',
        count: 7,
      },
      want: ['30s', 'Warning', 'BackOff', 'pod/web-1', 'spec.containers{web}', 'kubelet, node-1', 'Back-off restarting failed container', '10m', 7, 'web-1.17c9'],
    },
    {
      name: 'new-style singleton',
      fields: { involvedObject: { kind: 'Pod', name: 'web-2' }, reason: 'Scheduled', type: 'Normal', eventTime: '2024-05-01T11:59:00.123456Z', reportingComponent: 'default-scheduler' },
      want: ['59s', 'Normal', 'Scheduled', 'pod/web-2', '', 'default-scheduler', '', '59s', 1, 'web-1.17c9'],
    },
    {
      name: 'series',
      fields: {
        involvedObject: { kind: 'Node' },
        eventTime: '2024-05-01T11:00:00.000000Z',
        series: { count: 4, lastObservedTime: '2024-05-01T11:59:55.000000Z' },
        reportingComponent: 'kubelet',
        reportingInstance: 'node-1',
      },
      want: ['5s', '', '', 'node', '', 'kubelet, node-1', '', '60m', 4, 'web-1.17c9'],
    },
    { name: 'no timestamps at all', fields: {}, want: ['<unknown>', '', '', '', '', '', '', '<unknown>', 1, 'web-1.17c9'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cells = strategy.table.cells(ev(c.fields), ctx.now);
      assert.equal(cells.length, strategy.table.columns.length);
      assert.deepEqual(cells, c.want);
    });
  }
});

describe('core event field selectors', () => {
  const obj = ev({ involvedObject: pod, reason: 'Pulled', type: 'Normal', source: { component: 'kubelet' }, reportingComponent: 'kubelet-x' });
  const cases: [string, string][] = [
    ['involvedObject.kind', 'Pod'],
    ['involvedObject.namespace', 'default'],
    ['involvedObject.name', 'web-1'],
    ['involvedObject.uid', 'u-1'],
    ['involvedObject.apiVersion', 'v1'],
    ['involvedObject.resourceVersion', ''],
    ['involvedObject.fieldPath', 'spec.containers{web}'],
    ['reason', 'Pulled'],
    ['reportingComponent', 'kubelet-x'],
    ['source', 'kubelet'],
    ['type', 'Normal'],
  ];
  for (const [field, want] of cases) it(field, () => assert.equal(strategy.fieldSelectors[field]!(obj), want));

  it('source falls back to reportingComponent', () => {
    assert.equal(strategy.fieldSelectors.source!(ev({ reportingComponent: 'sched' })), 'sched');
  });
});
