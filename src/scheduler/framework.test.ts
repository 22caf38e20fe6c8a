import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CycleState, SUCCESS, StateKey, Status, defaultNormalizeScore, errorStatus, unresolvable, unschedulable } from './framework.js';

test('Status codes and message', () => {
  assert.equal(SUCCESS.isSuccess(), true);
  const s = unschedulable('Insufficient cpu', 'Insufficient memory');
  assert.equal(s.isRejected(), true);
  assert.equal(s.message(), 'Insufficient cpu, Insufficient memory');
  assert.equal(unresolvable('x').code, 'UnschedulableAndUnresolvable');
  const e = errorStatus(new Error('boom'));
  assert.equal(e.code, 'Error');
  assert.equal(e.error?.message, 'boom');
  assert.ok(Object.isFrozen(new Status('Skip')));
});

test('CycleState keeps values per typed key', () => {
  const a = new StateKey<number>('a');
  const b = new StateKey<string[]>('b');
  const state = new CycleState();
  assert.equal(state.read(a), undefined);
  state.write(b, ['x']);
  state.write(a, 3);
  assert.equal(state.read(a), 3);
  assert.deepEqual(state.read(b), ['x']);
  assert.equal(new CycleState().read(b), undefined);
});

test('defaultNormalizeScore scales to the maximum, optionally reversed', () => {
  const cases: [number[], boolean, number[]][] = [
    [[1, 2, 4], false, [25, 50, 100]],
    [[1, 2, 4], true, [75, 50, 0]],
    [[0, 0], false, [0, 0]],
    [[0, 0], true, [100, 100]],
    [[1, 3], false, [33, 100]],
  ];
  for (const [input, reverse, want] of cases) {
    const scores = Float64Array.from(input);
    defaultNormalizeScore(100, reverse, scores);
    assert.deepEqual([...scores], want, `${input} reverse=${reverse}`);
  }
});
