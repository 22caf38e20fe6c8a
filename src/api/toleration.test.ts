import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { toleratesTaint } from './toleration.js';

const taint = { key: 'node.kubernetes.io/unreachable', value: '', effect: 'NoExecute' };

test('toleratesTaint: effect and key must match unless empty; Exists ignores the value; Equal, or an empty operator, compares it', () => {
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, taint), true);
  assert.equal(toleratesTaint({ operator: 'Exists' }, taint), true, 'no key, Exists: every taint');
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, taint), false);
  assert.equal(toleratesTaint({ key: 'other', operator: 'Exists' }, taint), false);
  assert.equal(toleratesTaint({ key: 'k', value: 'v', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoSchedule' }), true, 'no operator: Equal');
  assert.equal(toleratesTaint({ key: 'k', operator: '', value: 'v' }, { key: 'k', value: 'v', effect: 'NoSchedule' }), true, 'an empty operator is Equal');
  assert.equal(toleratesTaint({ key: 'k', operator: 'Equal', value: 'w' }, { key: 'k', value: 'v', effect: 'NoSchedule' }), false);
  assert.equal(toleratesTaint({ key: 'k', operator: 'Sometimes' }, { key: 'k', effect: 'NoSchedule' }), false);
});
