import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { findActiveOrLatest, isScalingEvent, replicaSetsToCleanUp, scalePlan } from './sync.js';
import { deployment, replicaSet } from './testing.js';

const plan = (steps: ReturnType<typeof scalePlan>) => steps.map((s) => [s.rs.metadata?.name, s.replicas, s.operation]);

test('proportional scaling, the example of the Kubernetes docs: 10 → 15 mid-rollout adds 3 to the old and 2 to the new ReplicaSet', () => {
  // maxSurge 3, maxUnavailable 2: the rollout stuck with 8 old and 5 new pods, both sized for 10 (+3).
  const d = deployment({ replicas: 15, maxSurge: 3, maxUnavailable: 2, status: { replicas: 13 } });
  const oldRS = replicaSet('old', { replicas: 8, desired: 10, max: 13, created: 0 });
  const newRS = replicaSet('new', { replicas: 5, desired: 10, max: 13, created: 10, available: 0 });
  assert.equal(isScalingEvent(d, newRS, [oldRS]), true);
  assert.deepEqual(plan(scalePlan(d, newRS, [oldRS])), [
    ['old', 11, 'up'],
    ['new', 7, 'up'],
  ]);
});

test('proportional scaling down, and leftovers to the largest ReplicaSet', () => {
  const d = deployment({ replicas: 5, maxSurge: 3, maxUnavailable: 2, status: { replicas: 13 } });
  const oldRS = replicaSet('old', { replicas: 8, desired: 10, max: 13, created: 0 });
  const newRS = replicaSet('new', { replicas: 5, desired: 10, max: 13, created: 10, available: 0 });
  // allowed 5 + 3 = 8: remove 5; old 8·8/13 = 4.9 → 5 (−3), new 5·8/13 = 3.1 → 3 (−2).
  assert.deepEqual(plan(scalePlan(d, newRS, [oldRS])), [
    ['old', 5, 'down'],
    ['new', 3, 'down'],
  ]);
  const odd = deployment({ replicas: 4, maxSurge: 0, maxUnavailable: 1, status: { replicas: 3 } });
  const a = replicaSet('a', { replicas: 1, max: 3, created: 0 });
  const b = replicaSet('b', { replicas: 1, max: 3, created: 5 });
  const c = replicaSet('c', { replicas: 1, max: 3, created: 9, available: 0 });
  // +1 to spread: each share rounds 1·4/3 = 1.33 → 1 (+0); the leftover goes to the first (largest, newest).
  assert.deepEqual(plan(scalePlan(odd, c, [a, b])), [
    ['c', 2, 'up'],
    ['b', 1, 'up'],
    ['a', 1, 'up'],
  ]);
});

test('one active ReplicaSet takes the new size; a saturated new one retires the old ones', () => {
  const d = deployment({ replicas: 5 });
  const only = replicaSet('only', { replicas: 3, desired: 3 });
  const idle = replicaSet('idle', { replicas: 0, created: 5 });
  assert.deepEqual(plan(scalePlan(d, only, [idle])), [['only', 5, undefined]]);
  assert.deepEqual(plan(scalePlan(deployment({ replicas: 3 }), only, [idle])), []);
  assert.equal(findActiveOrLatest(undefined, [replicaSet('x', { replicas: 0, created: 1 }), replicaSet('y', { replicas: 0, created: 2 })])?.metadata?.name, 'y');
  const saturated = replicaSet('new', { replicas: 5, desired: 5, available: 5 });
  const old = replicaSet('old', { replicas: 2 });
  assert.deepEqual(plan(scalePlan(d, saturated, [old])), [['old', 0, undefined]]);
});

test('isScalingEvent: an active ReplicaSet sized for another spec.replicas', () => {
  const d = deployment({ replicas: 3 });
  assert.equal(isScalingEvent(d, replicaSet('n', { replicas: 3, desired: 3 }), [replicaSet('o', { replicas: 0, desired: 1 })]), false);
  assert.equal(isScalingEvent(d, replicaSet('n', { replicas: 2, desired: 2 }), []), true);
  assert.equal(isScalingEvent(d, replicaSet('n', { replicas: 2 }), []), false, 'no annotation: not a resize');
});

test('replicaSetsToCleanUp: beyond revisionHistoryLimit, lowest revisions, only settled empty ones', () => {
  const olds = [
    replicaSet('r1', { replicas: 0, revision: 1 }),
    replicaSet('r2', { replicas: 0, revision: 2, generation: 3, observedGeneration: 2 }),
    replicaSet('r3', { replicas: 0, revision: 3 }),
    replicaSet('r4', { replicas: 1, revision: 4 }),
  ];
  olds[0]!.status = { replicas: 0, observedGeneration: 1 };
  olds[2]!.status = { replicas: 0, observedGeneration: 1 };
  assert.deepEqual(replicaSetsToCleanUp(deployment({ revisionHistoryLimit: 1 }), olds).map((r) => r.metadata?.name), ['r1', 'r3']);
  assert.deepEqual(replicaSetsToCleanUp(deployment({ revisionHistoryLimit: 3 }), olds).map((r) => r.metadata?.name), ['r1']);
  assert.deepEqual(replicaSetsToCleanUp(deployment({ revisionHistoryLimit: 4 }), olds), []);
  assert.deepEqual(replicaSetsToCleanUp(deployment({ revisionHistoryLimit: 0 }), olds).map((r) => r.metadata?.name), ['r1', 'r3']);
});
