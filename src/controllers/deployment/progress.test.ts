import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { DeploymentCondition } from './objects.js';
import { calculateStatus, deploymentTimedOut, newCondition, rolloutStatus, setCondition, setPausedCondition } from './progress.js';
import { T0, at, deployment, replicaSet } from './testing.js';

const progressing = (reason: string, lastUpdate: number, status = 'True'): DeploymentCondition => ({
  type: 'Progressing',
  status,
  lastUpdateTime: at(lastUpdate),
  lastTransitionTime: at(0),
  reason,
  message: 'm',
});

test('calculateStatus: counts from the ReplicaSets and the Available condition', () => {
  const d = deployment({ replicas: 3, maxSurge: 1, maxUnavailable: 1, generation: 4 });
  const oldRS = replicaSet('old', { replicas: 2, available: 2 });
  const newRS = replicaSet('new', { replicas: 2, available: 0, ready: 1, actual: 2 });
  const s = calculateStatus([oldRS, newRS], newRS, d, T0);
  assert.deepEqual(s, {
    observedGeneration: 4,
    replicas: 4,
    updatedReplicas: 2,
    readyReplicas: 3,
    availableReplicas: 2,
    unavailableReplicas: 2,
    conditions: [{ type: 'Available', status: 'True', lastUpdateTime: at(0), lastTransitionTime: at(0), reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }],
  });
  const short = calculateStatus([replicaSet('new', { replicas: 3, available: 1 })], undefined, d, T0);
  assert.equal(short.conditions?.[0]?.reason, 'MinimumReplicasUnavailable');
  assert.equal(short.conditions?.[0]?.status, 'False');
  assert.equal(short.updatedReplicas, undefined, 'zero counts are omitted');
});

test('setCondition keeps lastTransitionTime while the status stays, and changes nothing for the same reason', () => {
  const status = { conditions: [progressing('ReplicaSetUpdated', 5)] };
  setCondition(status, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'other', T0 + 99_000));
  assert.equal(status.conditions[0]!.message, 'm', 'same status and reason: unchanged');
  setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', 'done', T0 + 99_000));
  assert.equal(status.conditions[0]!.lastTransitionTime, at(0));
  assert.equal(status.conditions[0]!.lastUpdateTime, at(99));
  setCondition(status, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', 'late', T0 + 100_000));
  assert.equal(status.conditions[0]!.lastTransitionTime, at(100));
});

test('rolloutStatus: progressing, complete, timed out, unchanged with a deadline recheck', () => {
  const newRS = replicaSet('web-abc', { replicas: 3, available: 3, created: 0 });
  const oldRS = replicaSet('web-old', { replicas: 1, available: 1 });

  // More pods updated than the stored status says: ReplicaSetUpdated, lastUpdateTime moves.
  const moving = deployment({ status: { replicas: 4, updatedReplicas: 1, conditions: [progressing('NewReplicaSetCreated', 0)] } });
  const r1 = rolloutStatus(moving, [oldRS, newRS], newRS, T0 + 30_000);
  const p1 = r1.status.conditions?.find((c) => c.type === 'Progressing');
  assert.equal(p1?.reason, 'ReplicaSetUpdated');
  assert.equal(p1?.message, 'ReplicaSet "web-abc" is progressing.');
  assert.equal(p1?.lastUpdateTime, at(30));
  assert.equal(p1?.lastTransitionTime, at(0));
  assert.equal(r1.unchanged, false);

  // Everything updated and available: NewReplicaSetAvailable.
  const done = rolloutStatus(deployment({ status: { conditions: [progressing('ReplicaSetUpdated', 0)] } }), [newRS], newRS, T0 + 40_000);
  const p2 = done.status.conditions?.find((c) => c.type === 'Progressing');
  assert.equal(p2?.reason, 'NewReplicaSetAvailable');
  assert.equal(p2?.message, 'ReplicaSet "web-abc" has successfully progressed.');

  // No progress past the deadline: ProgressDeadlineExceeded.
  const stuckNew = replicaSet('web-abc', { replicas: 1, available: 0 });
  const stuck = deployment({ progressDeadlineSeconds: 60, status: { replicas: 4, updatedReplicas: 1, availableReplicas: 3, readyReplicas: 3, conditions: [progressing('ReplicaSetUpdated', 0)] } });
  const before = rolloutStatus(stuck, [replicaSet('web-old', { replicas: 3 }), stuckNew], stuckNew, T0 + 50_000);
  assert.equal(before.status.conditions?.find((c) => c.type === 'Progressing')?.reason, 'ReplicaSetUpdated');
  const late = rolloutStatus(stuck, [replicaSet('web-old', { replicas: 3 }), stuckNew], stuckNew, T0 + 61_000);
  const p3 = late.status.conditions?.find((c) => c.type === 'Progressing');
  assert.deepEqual([p3?.status, p3?.reason, p3?.message], ['False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-abc" has timed out progressing.']);
  assert.equal(deploymentTimedOut(stuck, late.status, T0 + 61_000), true);

  // Nothing new to say: unchanged, and a recheck when the deadline would pass (+1s slack).
  const stored = { ...stuck, status: before.status };
  const again = rolloutStatus(stored, [replicaSet('web-old', { replicas: 3 }), stuckNew], stuckNew, T0 + 50_000);
  assert.equal(again.unchanged, true);
  assert.equal(again.recheckAfterMs, 11_000);
});

test('rolloutStatus copies a ReplicaSet’s ReplicaFailure and drops Progressing without a deadline', () => {
  const rs = replicaSet('web-abc', { replicas: 2, available: 0, actual: 0 });
  rs.status!.conditions = [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota', lastTransitionTime: at(5) }];
  const d = deployment({ progressDeadlineSeconds: 2 ** 31 - 1, replicas: 2, status: { conditions: [progressing('ReplicaSetUpdated', 0)] } });
  const s = rolloutStatus(d, [rs], rs, T0 + 10_000).status;
  assert.equal(s.conditions?.find((c) => c.type === 'Progressing'), undefined);
  assert.deepEqual(s.conditions?.find((c) => c.type === 'ReplicaFailure'), {
    type: 'ReplicaFailure',
    status: 'True',
    lastUpdateTime: at(5),
    lastTransitionTime: at(5),
    reason: 'FailedCreate',
    message: 'quota',
  });
});

test('setPausedCondition: DeploymentPaused while paused, DeploymentResumed after, a timeout left alone', () => {
  const d = deployment({ status: { conditions: [progressing('ReplicaSetUpdated', 0)] } });
  d.spec!.paused = true;
  assert.equal(setPausedCondition(d, T0), true);
  assert.deepEqual(
    d.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
    [['Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused']],
  );
  assert.equal(setPausedCondition(d, T0), false);
  d.spec!.paused = false;
  assert.equal(setPausedCondition(d, T0), true);
  assert.equal(d.status?.conditions?.[0]?.reason, 'DeploymentResumed');
  const timedOut = deployment({ status: { conditions: [progressing('ProgressDeadlineExceeded', 0, 'False')] } });
  timedOut.spec!.paused = true;
  assert.equal(setPausedCondition(timedOut, T0), false);
});
