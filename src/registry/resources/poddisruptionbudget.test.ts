import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { podDisruptionBudgetStrategy as strategy } from './poddisruptionbudget.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ctx: StrategyContext = {
  now: NOW,
  config: { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

const pdb = (spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-05-01T11:58:00Z', generation: 1 },
  spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  ...(status ? { status } : {}),
});
const errors = (o: KubeObject) => strategy.validate(o, ctx).map(formatFieldError);

test('validation: minAvailable or maxUnavailable, each a non-negative integer or a percentage up to 100%; a valid selector and policy', () => {
  assert.deepEqual(errors(pdb({ minAvailable: 2 })), []);
  assert.deepEqual(errors(pdb({ maxUnavailable: '25%', unhealthyPodEvictionPolicy: 'AlwaysAllow' })), []);
  assert.deepEqual(errors(pdb({})), []);
  const both = errors(pdb({ minAvailable: 1, maxUnavailable: 1 }));
  assert.equal(both.length, 1);
  assert.match(both[0]!, /^spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
  assert.deepEqual(errors(pdb({ minAvailable: '120%' })), ['spec.minAvailable: Invalid value: "120%": must not be greater than 100%']);
  assert.deepEqual(errors(pdb({ maxUnavailable: -1 })), ['spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0']);
  assert.equal(errors(pdb({ minAvailable: 'half' })).length, 1);
  assert.match(errors(pdb({ minAvailable: 'half' }))[0]!, /^spec\.minAvailable: Invalid value: "half": a valid percent string must be/);
  assert.deepEqual(errors(pdb({ unhealthyPodEvictionPolicy: 'Sometimes' })), ['spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"']);
  assert.equal(errors(pdb({ selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } })).length, 1);
});

test('status: clients cannot set it on create or with the spec; the status subresource changes only status, with counts that are not negative', () => {
  const created = pdb({ minAvailable: 1 }, { disruptionsAllowed: 5 });
  strategy.prepareForCreate(created, ctx);
  assert.deepEqual(created.status, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });

  const live = pdb({ minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, observedGeneration: 1 });
  const specChange = pdb({ minAvailable: 2 }, { disruptionsAllowed: 9 });
  strategy.prepareForUpdate(specChange, live, ctx);
  assert.deepEqual(specChange.status, live.status);

  const statusChange = pdb({ minAvailable: 7 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 2 });
  strategy.prepareForStatusUpdate!(statusChange, structuredClone(live), ctx);
  assert.deepEqual(statusChange.spec, live.spec);
  assert.deepEqual(strategy.validateStatusUpdate!(pdb({}, { disruptionsAllowed: -1 }), live, ctx).map(formatFieldError), ['status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0']);
});

test('table: kubectl get pdb columns, N/A for the bound that is not set', () => {
  const cells = (o: KubeObject) => strategy.table.cells(o, NOW);
  assert.deepEqual(strategy.table.columns.map((c) => c.name), ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
  assert.deepEqual(cells(pdb({ minAvailable: 2 }, { disruptionsAllowed: 1 })), ['web', '2', 'N/A', 1, '2m']);
  assert.deepEqual(cells(pdb({ maxUnavailable: '10%' })), ['web', 'N/A', '10%', 0, '2m']);
});
