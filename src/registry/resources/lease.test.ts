import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { leaseStrategy as strategy } from './lease.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function lease(spec: unknown): KubeObject {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1', namespace: 'kube-node-lease', creationTimestamp: '2024-05-01T11:58:00Z' }, spec };
}

describe('lease validation', () => {
  const cases: { name: string; spec: unknown; want: string[] }[] = [
    { name: 'node heartbeat', spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2024-05-01T11:59:59.123456Z' }, want: [] },
    { name: 'no spec', spec: undefined, want: [] },
    { name: 'duration must be positive', spec: { leaseDurationSeconds: 0 }, want: ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'] },
    { name: 'transitions non-negative', spec: { leaseTransitions: -1 }, want: ['spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0'] },
    { name: 'bad timestamp', spec: { renewTime: 'yesterday' }, want: ['spec.renewTime: Invalid value: "yesterday": must be an RFC 3339 timestamp'] },
    { name: 'wrong types', spec: { holderIdentity: 5, leaseDurationSeconds: '15' }, want: ['spec.holderIdentity: Invalid value: 5: must be a string', 'spec.leaseDurationSeconds: Invalid value: "15": must be an integer'] },
    { name: 'preferredHolder needs strategy', spec: { preferredHolder: 'a' }, want: ['spec.preferredHolder: Invalid value: "a": may only be specified if `strategy` is defined'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(strategy.validate(lease(c.spec), ctx).map(formatFieldError), c.want));
});

describe('lease table', () => {
  it('NAME, HOLDER, AGE', () => {
    assert.deepEqual(strategy.table.columns.map((c) => c.name), ['Name', 'Holder', 'Age']);
    assert.deepEqual(strategy.table.cells(lease({ holderIdentity: 'node-1' }), ctx.now), ['node-1', 'node-1', '2m']);
    assert.deepEqual(strategy.table.cells(lease(undefined), ctx.now), ['node-1', '', '2m']);
  });
});
