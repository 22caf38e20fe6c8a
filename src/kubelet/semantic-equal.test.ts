import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { semanticEqual } from './semantic-equal.js';

test('key order, null, absent, {} and [] do not make a difference; values do', () => {
  assert.ok(semanticEqual({ a: 1, b: { c: 'x' } }, { b: { c: 'x' }, a: 1 }));
  assert.ok(semanticEqual({ a: 1, lastState: {}, list: [], x: null }, { a: 1 }));
  assert.ok(semanticEqual(undefined, {}));
  assert.ok(!semanticEqual({ ready: false }, {}));
  assert.ok(!semanticEqual({ a: [1, 2] }, { a: [2, 1] }));
  assert.ok(!semanticEqual({ a: '1' }, { a: 1 }));
  assert.ok(!semanticEqual({ a: { b: 1 } }, { a: { b: 2 } }));
});
