import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { findUntoleratedTaint, isDoNotScheduleTaint, toleratesTaint } from './tolerations.js';

test('toleratesTaint', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const cases: [string, Toleration, boolean][] = [
    ['equal key, value and effect', { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, true],
    ['operator Equal explicitly', { key: 'dedicated', operator: 'Equal', value: 'gpu' }, true],
    ['other value', { key: 'dedicated', value: 'cpu' }, false],
    ['Exists on the key', { key: 'dedicated', operator: 'Exists' }, true],
    ['Exists without key tolerates everything', { operator: 'Exists' }, true],
    ['other effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    ['other key', { key: 'x', operator: 'Exists' }, false],
    ['unknown operator', { key: 'dedicated', operator: 'Gt', value: 'gpu' }, false],
  ];
  for (const [name, t, want] of cases) assert.equal(toleratesTaint(t, taint), want, name);
});

test('findUntoleratedTaint returns the first matching untolerated taint', () => {
  const taints: Taint[] = [
    { key: 'soft', effect: 'PreferNoSchedule' },
    { key: 'a', value: '1', effect: 'NoSchedule' },
    { key: 'b', effect: 'NoExecute' },
  ];
  assert.deepEqual(findUntoleratedTaint(taints, [], isDoNotScheduleTaint), taints[1]);
  assert.deepEqual(findUntoleratedTaint(taints, [{ key: 'a', operator: 'Exists' }], isDoNotScheduleTaint), taints[2]);
  assert.equal(findUntoleratedTaint(taints, [{ operator: 'Exists' }], isDoNotScheduleTaint), undefined);
});
