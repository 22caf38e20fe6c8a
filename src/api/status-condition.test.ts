import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { setStatusCondition } from './status-condition.js';

const T0 = Date.UTC(2025, 0, 1);

test('setStatusCondition returns a new list and leaves the input alone', () => {
  const input = [{ type: 'DisruptionAllowed', status: 'True', lastTransitionTime: 'then', reason: 'SufficientPods', message: '' }];
  const out = setStatusCondition(input, { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '' }, T0);
  assert.equal(input[0]!.status, 'True');
  assert.equal(out[0]!.status, 'False');
  assert.equal(out[0]!.lastTransitionTime, '2025-01-01T00:00:00Z');
});
