import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { copyDeploymentAnnotations, maxRevision, revisionOf, setDeploymentRevision, setNewReplicaSetAnnotations, setReplicasAnnotations, replicasAnnotationsNeedUpdate } from './revision.js';
import { deployment, replicaSet } from './testing.js';

test('revisionOf and maxRevision', () => {
  assert.equal(revisionOf(replicaSet('a', { replicas: 1 })), 0);
  assert.equal(revisionOf(replicaSet('a', { replicas: 1, revision: 7 })), 7);
  const bad = replicaSet('b', { replicas: 1 });
  bad.metadata!.annotations!['deployment.kubernetes.io/revision'] = 'x';
  assert.equal(revisionOf(bad), undefined);
  assert.equal(maxRevision([replicaSet('a', { replicas: 1, revision: 2 }), bad, replicaSet('c', { replicas: 0, revision: 5 })]), 5);
  assert.equal(maxRevision([]), 0);
});

test('setNewReplicaSetAnnotations on a ReplicaSet about to be created', () => {
  const d = deployment({ replicas: 4, annotations: { 'kubernetes.io/change-cause': 'kubectl set image', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '1' } });
  const rs = replicaSet('new', { replicas: 0 });
  assert.equal(setNewReplicaSetAnnotations(d, rs, 2, false, { surge: 1 }), true);
  assert.deepEqual(rs.metadata?.annotations, {
    'kubernetes.io/change-cause': 'kubectl set image',
    'deployment.kubernetes.io/revision': '2',
    'deployment.kubernetes.io/desired-replicas': '4',
    'deployment.kubernetes.io/max-replicas': '5',
  });
  assert.equal(setNewReplicaSetAnnotations(d, rs, 2, true, { surge: 1 }), false, 'nothing left to change');
});

test('setNewReplicaSetAnnotations on a ReplicaSet brought back (rollout undo): next revision, history kept', () => {
  const d = deployment();
  const rs = replicaSet('back', { replicas: 0, revision: 1, desired: 3, max: 4 });
  assert.equal(setNewReplicaSetAnnotations(d, rs, 3, true, { surge: 1 }), true);
  assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
  assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  setNewReplicaSetAnnotations(d, rs, 5, true, { surge: 1 });
  assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1,3');
  assert.equal(setNewReplicaSetAnnotations(d, rs, 4, true, { surge: 1 }), false, 'a lower revision changes nothing');
  setNewReplicaSetAnnotations(d, rs, 6, true, { surge: 1, historyLimitChars: 4 });
  assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '3,5', 'trimmed from the oldest');
});

test('copyDeploymentAnnotations skips the controller’s and kubectl’s own annotations', () => {
  const d = deployment({ annotations: { a: '1', 'deployment.kubernetes.io/revision': '9', 'deployment.kubernetes.io/max-replicas': '9' } });
  const rs = replicaSet('r', { replicas: 1, revision: 2 });
  assert.equal(copyDeploymentAnnotations(d, rs), true);
  assert.deepEqual(rs.metadata?.annotations, { 'deployment.kubernetes.io/revision': '2', a: '1' });
  assert.equal(copyDeploymentAnnotations(d, rs), false);
});

test('setDeploymentRevision and the replicas annotations', () => {
  const d = deployment();
  assert.equal(setDeploymentRevision(d, '2'), true);
  assert.equal(setDeploymentRevision(d, '2'), false);
  assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
  const rs = replicaSet('r', { replicas: 1 });
  assert.equal(replicasAnnotationsNeedUpdate(rs, 3, 4), true);
  assert.equal(setReplicasAnnotations(rs, 3, 4), true);
  assert.equal(replicasAnnotationsNeedUpdate(rs, 3, 4), false);
  assert.equal(setReplicasAnnotations(rs, 3, 4), false);
});
