import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { deepFreeze } from './deep-freeze.js';

test('deepFreeze freezes nested objects and arrays, returns its argument, and ends on cycles', () => {
  const o = JSON.parse('{"a":{"b":[{"c":1},[2]]},"d":null,"e":"x"}') as { a: { b: [{ c: number }, number[]] } };
  assert.equal(deepFreeze(o), o);
  assert.ok(Object.isFrozen(o) && Object.isFrozen(o.a) && Object.isFrozen(o.a.b) && Object.isFrozen(o.a.b[0]) && Object.isFrozen(o.a.b[1]));
  assert.throws(() => {
    'use strict';
    (o.a.b[0] as { c: number }).c = 2;
  }, TypeError);
  const cyclic: { self?: unknown; list: unknown[] } = { list: [] };
  cyclic.self = cyclic;
  cyclic.list.push(cyclic);
  assert.equal(deepFreeze(cyclic), cyclic);
  assert.ok(Object.isFrozen(cyclic.list));
  assert.equal(deepFreeze(5), 5);
  assert.equal(deepFreeze(null), null);
});
