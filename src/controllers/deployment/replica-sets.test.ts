import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { PodTemplateSpec } from './objects.js';
import { bySizeNewer, bySizeOlder, equalIgnoreHash, findNewReplicaSet, oldReplicaSets } from './replica-sets.js';
import { deployment, replicaSet } from './testing.js';

test('equalIgnoreHash ignores pod-template-hash and empty or null maps', () => {
  const t: PodTemplateSpec = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'a' }] } };
  const cases: [PodTemplateSpec, PodTemplateSpec, boolean][] = [
    [t, { ...t, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } }, true],
    [{ ...t, metadata: { labels: { 'pod-template-hash': 'x' } } }, { spec: t.spec }, true],
    [{ ...t, metadata: { labels: { app: 'web' }, annotations: {} } }, t, true],
    [{ ...t, metadata: { labels: { app: 'web' }, creationTimestamp: null } } as unknown as PodTemplateSpec, t, true],
    [t, { ...t, spec: { containers: [{ name: 'c', image: 'b' }] } }, false],
    [t, { ...t, metadata: { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } }, false],
  ];
  cases.forEach(([a, b, want], i) => assert.equal(equalIgnoreHash(a, b), want, `case ${i}`));
});

test('findNewReplicaSet: the oldest ReplicaSet whose template matches; the others are old', () => {
  const d = deployment({ image: 'v2' });
  const a = replicaSet('a', { replicas: 1, image: 'v1', created: 0 });
  const b = replicaSet('b', { replicas: 1, image: 'v2', created: 20 });
  const c = replicaSet('c', { replicas: 1, image: 'v2', created: 10 });
  const found = findNewReplicaSet(d.spec?.template, [a, b, c]);
  assert.equal(found?.metadata?.name, 'c');
  assert.deepEqual(oldReplicaSets([a, b, c], found).map((r) => r.metadata?.name), ['a', 'b']);
  assert.equal(findNewReplicaSet(deployment({ image: 'v3' }).spec?.template, [a, b, c]), undefined);
});

test('size orders: larger first, then older (bySizeOlder) or newer (bySizeNewer)', () => {
  const rs = [replicaSet('small', { replicas: 1, created: 0 }), replicaSet('big-old', { replicas: 5, created: 0 }), replicaSet('big-new', { replicas: 5, created: 9 })];
  assert.deepEqual([...rs].sort(bySizeOlder).map((r) => r.metadata?.name), ['big-old', 'big-new', 'small']);
  assert.deepEqual([...rs].sort(bySizeNewer).map((r) => r.metadata?.name), ['big-new', 'big-old', 'small']);
});
