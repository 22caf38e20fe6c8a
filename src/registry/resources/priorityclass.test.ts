import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { priorityClassStrategy as strategy, SYSTEM_PRIORITY_CLASSES } from './priorityclass.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ctx: StrategyContext = {
  now: NOW,
  config: { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

const pc = (name: string, fields: Record<string, unknown>): KubeObject => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name, creationTimestamp: '2024-05-01T11:58:00Z' },
  ...fields,
});
const errors = (o: KubeObject) => strategy.validate(o, ctx).map(formatFieldError);

test('validation: a value, at most 1e9 for user classes; system- names only for the built-in classes; a known preemptionPolicy', () => {
  assert.deepEqual(errors(pc('high', { value: 1_000_000_000, preemptionPolicy: 'Never' })), []);
  assert.deepEqual(errors(pc('neg', { value: -5 })), []);
  for (const s of SYSTEM_PRIORITY_CLASSES) assert.deepEqual(errors(s as unknown as KubeObject), [], s.metadata?.name);
  assert.deepEqual(errors(pc('huge', { value: 1_000_000_001 })), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
  assert.deepEqual(errors(pc('system-x', { value: 5 })), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-x is not a known system priority class",
  ]);
  assert.deepEqual(errors(pc('system-node-critical', { value: 5 })), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000",
  ]);
  assert.deepEqual(errors(pc('p', { value: 1, preemptionPolicy: 'Sometimes' })), ['preemptionPolicy: Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"']);
});

test('defaults PreemptLowerPriority; value and preemptionPolicy are immutable; the kubectl get pc table', () => {
  const obj = pc('high', { value: 10 });
  strategy.defaults(obj, ctx);
  assert.equal((obj as { preemptionPolicy?: string }).preemptionPolicy, 'PreemptLowerPriority');
  const bare = pc('zero', {});
  strategy.defaults(bare, ctx);
  strategy.prepareForCreate(bare, ctx);
  assert.deepEqual([(bare as { value?: number }).value, bare.metadata?.generation, errors(bare)], [0, 1, []], 'value is a plain int32: absent is 0');
  const changed = pc('high', { value: 11, preemptionPolicy: 'Never', description: 'new' });
  assert.deepEqual(strategy.validateUpdate(changed, obj, ctx).map(formatFieldError), [
    'value: Forbidden: may not be changed in an update.',
    'preemptionPolicy: Invalid value: "Never": field is immutable',
  ]);
  assert.deepEqual(strategy.validateUpdate(pc('high', { value: 10, preemptionPolicy: 'PreemptLowerPriority', description: 'new' }), obj, ctx), []);
  assert.deepEqual(
    strategy.table.columns.map((c) => c.name),
    ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy'],
  );
  assert.deepEqual(strategy.table.cells(pc('d', { value: 3, globalDefault: true }), NOW), ['d', 3, true, '2m', 'PreemptLowerPriority']);
});
