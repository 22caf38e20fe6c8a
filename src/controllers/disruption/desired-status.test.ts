// desiredStatus / failSafeStatus / statusUpToDate: the status written and when it is not.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { desiredStatus, disruptionsAllowed, failSafeStatus, statusUpToDate } from './desired-status.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from './objects.js';

const T0 = Date.UTC(2025, 0, 1);
const T1 = T0 + 60_000;

function pdb(status?: PodDisruptionBudgetStatus, generation = 3): PodDisruptionBudget {
  return { metadata: { name: 'b', namespace: 'default', generation }, spec: { minAvailable: 1, selector: {} }, ...(status ? { status } : {}) };
}

const counts = { currentHealthy: 3, desiredHealthy: 1, expectedPods: 3, disruptedPods: {} };

test('disruptionsAllowed: healthy beyond desired, never negative, 0 while nothing is expected', () => {
  for (const [current, desired, expected, want] of [
    [3, 1, 3, 2],
    [1, 1, 3, 0],
    [0, 2, 3, 0],
    [3, 0, 0, 0],
  ] as const) {
    assert.equal(disruptionsAllowed({ currentHealthy: current, desiredHealthy: desired, expectedPods: expected }), want, `${current}/${desired}/${expected}`);
  }
});

test('desiredStatus: counts, observedGeneration, DisruptionAllowed True/SufficientPods', () => {
  assert.deepEqual(desiredStatus(pdb(), counts, T0), {
    observedGeneration: 3,
    disruptionsAllowed: 2,
    currentHealthy: 3,
    desiredHealthy: 1,
    expectedPods: 3,
    conditions: [{ type: 'DisruptionAllowed', status: 'True', observedGeneration: 3, lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'SufficientPods', message: '' }],
  });
});

test('desiredStatus: False/InsufficientPods; lastTransitionTime moves only when the status does', () => {
  const first = desiredStatus(pdb(), counts, T0);
  const same = desiredStatus(pdb(first), { ...counts, currentHealthy: 2 }, T1);
  assert.equal(same.conditions?.[0]?.lastTransitionTime, '2025-01-01T00:00:00Z');
  const flipped = desiredStatus(pdb(same), { ...counts, currentHealthy: 1 }, T1);
  assert.deepEqual(flipped.conditions, [
    { type: 'DisruptionAllowed', status: 'False', observedGeneration: 3, lastTransitionTime: '2025-01-01T00:01:00Z', reason: 'InsufficientPods', message: '' },
  ]);
  assert.equal(flipped.disruptionsAllowed, 0);
});

test('desiredStatus keeps other conditions and lists disruptedPods only when there are some', () => {
  const other = { type: 'Other', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'X', message: 'y' };
  const st = desiredStatus(pdb({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, conditions: [other] }), { ...counts, disruptedPods: { a: '2025-01-01T00:00:00Z' } }, T0);
  assert.deepEqual(st.conditions?.map((c) => c.type), ['Other', 'DisruptionAllowed']);
  assert.deepEqual(st.disruptedPods, { a: '2025-01-01T00:00:00Z' });
  assert.equal('disruptedPods' in desiredStatus(pdb(), counts, T0), false);
});

test('failSafeStatus: disruptionsAllowed 0, SyncFailed with the message, other counts kept', () => {
  const ok = desiredStatus(pdb(), counts, T0);
  const failed = failSafeStatus(pdb(ok), 'found no controllers for pod "a"', T1);
  assert.deepEqual(failed, {
    ...ok,
    disruptionsAllowed: 0,
    conditions: [{ type: 'DisruptionAllowed', status: 'False', observedGeneration: 3, lastTransitionTime: '2025-01-01T00:01:00Z', reason: 'SyncFailed', message: 'found no controllers for pod "a"' }],
  });
  // A budget never synced before: zero counts, and no observedGeneration on the condition.
  assert.deepEqual(failSafeStatus(pdb(), 'boom', T0), {
    disruptionsAllowed: 0,
    currentHealthy: 0,
    desiredHealthy: 0,
    expectedPods: 0,
    conditions: [{ type: 'DisruptionAllowed', status: 'False', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'SyncFailed', message: 'boom' }],
  });
});

test('statusUpToDate: the same status (absent vs zero, empty maps) needs no write; any difference does', () => {
  const st = desiredStatus(pdb(), counts, T0);
  assert.equal(statusUpToDate(pdb(st), desiredStatus(pdb(st), counts, T1)), true);
  assert.equal(statusUpToDate(pdb(st), { ...st, disruptedPods: {} }), true);
  assert.equal(statusUpToDate(pdb({ ...st, disruptedPods: {} }), st), true);
  assert.equal(statusUpToDate(pdb(st), desiredStatus(pdb(st, 4), counts, T0)), false, 'generation');
  assert.equal(statusUpToDate(pdb(st), desiredStatus(pdb(st), { ...counts, currentHealthy: 2 }, T0)), false, 'counts');
  assert.equal(statusUpToDate(pdb(st), desiredStatus(pdb(st), { ...counts, disruptedPods: { a: 'x' } }, T0)), false, 'disruptedPods');
  assert.equal(statusUpToDate(pdb(), { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }), true);
});
