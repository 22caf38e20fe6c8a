import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { maxSurge, maxUnavailable, newRSNewReplicas, newReplicaSetTarget, oldReplicaSetsScaleDown, resolveFenceposts } from './rolling-update.js';
import { deployment, replicaSet } from './testing.js';

test('resolveFenceposts: surge rounds up, unavailable rounds down, both 0 makes unavailable 1', () => {
  const cases: [number | string | undefined, number | string | undefined, number, number, number][] = [
    // maxSurge, maxUnavailable, replicas → surge, unavailable
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 4, 1, 1],
    ['25%', '25%', 3, 1, 0],
    ['25%', '25%', 2, 1, 0],
    ['25%', '25%', 1, 1, 0],
    ['30%', 0, 10, 3, 0],
    [0, '30%', 10, 0, 3],
    ['1%', '1%', 4, 1, 0],
    ['0%', '0%', 5, 0, 1],
    [0, 0, 3, 0, 1],
    ['0%', '10%', 5, 0, 1],
    [1, 0, 3, 1, 0],
    [2, 1, 5, 2, 1],
    ['100%', '100%', 4, 4, 4],
    [undefined, undefined, 3, 0, 1],
  ];
  for (const [s, u, n, wantS, wantU] of cases) assert.deepEqual(resolveFenceposts(s, u, n), { surge: wantS, unavailable: wantU }, `${s}/${u} of ${n}`);
  assert.throws(() => resolveFenceposts('abc', 0, 3), /invalid value for IntOrString/);
});

test('maxSurge and maxUnavailable of a Deployment: 0 for Recreate; unavailable capped at replicas, 0 for 0 replicas', () => {
  assert.equal(maxSurge(deployment({ replicas: 10 })), 3);
  assert.equal(maxUnavailable(deployment({ replicas: 10 })), 2);
  assert.equal(maxUnavailable(deployment({ replicas: 3, maxUnavailable: 10 })), 3);
  assert.equal(maxUnavailable(deployment({ replicas: 0 })), 0);
  assert.equal(maxSurge(deployment({ recreate: true })), 0);
  assert.equal(maxUnavailable(deployment({ recreate: true })), 0);
});

test('newRSNewReplicas: grow the new ReplicaSet while all pods stay within replicas + maxSurge', () => {
  const cases: { why: string; replicas: number; surge: number | string; old: number; cur: number; want: number }[] = [
    { why: 'fresh rollout of 3 with surge 1', replicas: 3, surge: 1, old: 3, cur: 0, want: 1 },
    { why: 'room for 2 more', replicas: 3, surge: 1, old: 2, cur: 0, want: 2 },
    { why: 'at the limit', replicas: 3, surge: 1, old: 3, cur: 1, want: 1 },
    { why: 'never beyond replicas', replicas: 3, surge: 5, old: 0, cur: 1, want: 3 },
    { why: '10 replicas, 30% surge: the new ReplicaSet starts at 3', replicas: 10, surge: '30%', old: 10, cur: 0, want: 3 },
    { why: 'first rollout of a new Deployment', replicas: 4, surge: '25%', old: 0, cur: 0, want: 4 },
  ];
  for (const c of cases) {
    const d = deployment({ replicas: c.replicas, maxSurge: c.surge, maxUnavailable: 0 });
    const oldRS = replicaSet('old', { replicas: c.old });
    const newRS = replicaSet('new', { replicas: c.cur });
    assert.equal(newRSNewReplicas(d, [oldRS, newRS], newRS), c.want, c.why);
  }
  const recreate = deployment({ replicas: 5, recreate: true });
  assert.equal(newRSNewReplicas(recreate, [replicaSet('old', { replicas: 5 })], replicaSet('new', { replicas: 0 })), 5);
});

test('newReplicaSetTarget: scale a too-large new ReplicaSet down to replicas, leave one at replicas alone', () => {
  const d = deployment({ replicas: 3, maxSurge: 1, maxUnavailable: 0 });
  assert.equal(newReplicaSetTarget(d, [], replicaSet('new', { replicas: 3 })), undefined);
  assert.equal(newReplicaSetTarget(d, [], replicaSet('new', { replicas: 5 })), 3);
  assert.equal(newReplicaSetTarget(d, [replicaSet('old', { replicas: 3 }), replicaSet('new', { replicas: 1 })], replicaSet('new', { replicas: 1 })), undefined);
});

test('oldReplicaSetsScaleDown: keep replicas − maxUnavailable available, unhealthy pods first', () => {
  const cases: {
    why: string;
    d: { replicas: number; maxSurge: number | string; maxUnavailable: number | string };
    olds: { name: string; replicas: number; available: number; created: number }[];
    newRS: { replicas: number; available: number };
    want: [string, number][];
  }[] = [
    {
      why: 'surge 1, unavailable 0: the new pod is not yet available, nothing may go',
      d: { replicas: 3, maxSurge: 1, maxUnavailable: 0 },
      olds: [{ name: 'old', replicas: 3, available: 3, created: 0 }],
      newRS: { replicas: 1, available: 0 },
      want: [],
    },
    {
      why: 'surge 1, unavailable 0: one new pod available, one old may go',
      d: { replicas: 3, maxSurge: 1, maxUnavailable: 0 },
      olds: [{ name: 'old', replicas: 3, available: 3, created: 0 }],
      newRS: { replicas: 1, available: 1 },
      want: [['old', 2]],
    },
    {
      why: 'unavailable 30% of 10: the old ReplicaSet may go to 70% at once',
      d: { replicas: 10, maxSurge: '30%', maxUnavailable: '30%' },
      olds: [{ name: 'old', replicas: 10, available: 10, created: 0 }],
      newRS: { replicas: 3, available: 0 },
      want: [['old', 7]],
    },
    {
      why: 'unavailable old pods go first: 2 unavailable, but only 5 − 4 − 0 = 1 may go in this step',
      d: { replicas: 4, maxSurge: 1, maxUnavailable: 0 },
      olds: [{ name: 'old', replicas: 4, available: 2, created: 0 }],
      newRS: { replicas: 1, available: 1 },
      want: [['old', 3]],
    },
    {
      why: 'unavailable old pods go first and cost no availability',
      d: { replicas: 4, maxSurge: 0, maxUnavailable: 2 },
      olds: [{ name: 'old', replicas: 4, available: 2, created: 0 }],
      newRS: { replicas: 0, available: 0 },
      want: [['old', 2]],
    },
    {
      why: 'unhealthy cleanup is bounded by maxScaledDown; then nothing available may go',
      d: { replicas: 4, maxSurge: 1, maxUnavailable: 0 },
      olds: [{ name: 'old', replicas: 4, available: 3, created: 0 }],
      newRS: { replicas: 1, available: 0 },
      want: [],
    },
    {
      why: 'several old ReplicaSets: the oldest shrinks first',
      d: { replicas: 6, maxSurge: 0, maxUnavailable: 2 },
      olds: [
        { name: 'newer', replicas: 3, available: 3, created: 20 },
        { name: 'oldest', replicas: 3, available: 3, created: 10 },
      ],
      newRS: { replicas: 0, available: 0 },
      want: [['oldest', 1]],
    },
    {
      why: 'unhealthy in one, then available across ReplicaSets',
      d: { replicas: 6, maxSurge: 0, maxUnavailable: 3 },
      olds: [
        { name: 'a', replicas: 2, available: 1, created: 10 },
        { name: 'b', replicas: 4, available: 4, created: 20 },
      ],
      newRS: { replicas: 0, available: 0 },
      want: [['a', 1], ['a', 0], ['b', 3]],
    },
  ];
  for (const c of cases) {
    const d = deployment({ replicas: c.d.replicas, maxSurge: c.d.maxSurge, maxUnavailable: c.d.maxUnavailable });
    const olds = c.olds.map((o) => replicaSet(o.name, { replicas: o.replicas, available: o.available, created: o.created }));
    const newRS = replicaSet('new', { replicas: c.newRS.replicas, available: c.newRS.available, created: 100 });
    const steps = oldReplicaSetsScaleDown(d, [...olds, newRS], olds, newRS);
    assert.deepEqual(steps.map((s) => [s.rs.metadata?.name, s.replicas]), c.want, c.why);
  }
});

test('the rollout of the Kubernetes docs: 3 replicas, 25%/25% (surge 1, unavailable 0), pods ready at once', () => {
  // Alternate the two halves of a step as the controller does, with every pod becoming available
  // before the next step; the ScalingReplicaSet sequence of the docs comes out.
  const d = deployment({ replicas: 3 });
  let oldSize = 3;
  let newSize = 0;
  const events: string[] = [];
  for (let i = 0; i < 20 && (oldSize > 0 || newSize < 3); i++) {
    const oldRS = replicaSet('old', { replicas: oldSize });
    const newRS = replicaSet('new', { replicas: newSize, created: 100 });
    const target = newReplicaSetTarget(d, [oldRS, newRS], newRS);
    if (target !== undefined) {
      events.push(`new ${newSize}→${target}`);
      newSize = target;
      continue;
    }
    for (const s of oldReplicaSetsScaleDown(d, [oldRS, newRS], oldSize ? [oldRS] : [], newRS)) {
      events.push(`old ${oldSize}→${s.replicas}`);
      oldSize = s.replicas;
    }
    assert.ok(oldSize + newSize >= 3, 'never fewer than replicas − maxUnavailable');
  }
  assert.deepEqual(events, ['new 0→1', 'old 3→2', 'new 1→2', 'old 2→1', 'new 2→3', 'old 1→0']);
});
