import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { serviceAccountStrategy as strategy } from './serviceaccount.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function sa(fields: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'dev', creationTimestamp: '2024-04-30T12:00:00Z' }, ...fields };
}

describe('serviceaccount', () => {
  const cases: { name: string; fields: Record<string, unknown>; want: string[] }[] = [
    { name: 'bare', fields: {}, want: [] },
    { name: 'references', fields: { secrets: [{ name: 'tok' }], imagePullSecrets: [{ name: 'reg' }], automountServiceAccountToken: false }, want: [] },
    { name: 'wrong types', fields: { secrets: 'tok', imagePullSecrets: ['reg'], automountServiceAccountToken: 'no' }, want: [
      'secrets: Invalid value: "tok": must be an array',
      'imagePullSecrets[0]: Invalid value: "reg": must be an object',
      'automountServiceAccountToken: Invalid value: "no": must be a boolean',
    ] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(strategy.validate(sa(c.fields), ctx).map(formatFieldError), c.want));

  it('NAME, SECRETS, AGE', () => {
    assert.deepEqual(strategy.table.columns.map((c) => c.name), ['Name', 'Secrets', 'Age']);
    assert.deepEqual(strategy.table.cells(sa({}), ctx.now), ['default', 0, '24h']);
    assert.deepEqual(strategy.table.cells(sa({ secrets: [{ name: 'a' }, { name: 'b' }] }), ctx.now), ['default', 2, '24h']);
  });
});
