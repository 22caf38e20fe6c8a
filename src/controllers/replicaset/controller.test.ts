// The ReplicaSet controller end to end on a FakeClient: informers, queue, reconcile, writes.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { createReplicaSetController } from './controller.js';
import { PODS, REPLICASETS, type Pod, type ReplicaSet } from './objects.js';
import { startCluster, type TestCluster } from './testing.js';

function replicaSet(name: string, replicas: number, extra: { minReadySeconds?: number; labels?: Record<string, string> } = {}): ReplicaSet {
  const labels = extra.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      ...(extra.minReadySeconds ? { minReadySeconds: extra.minReadySeconds } : {}),
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
}

async function getRS(c: TestCluster, name: string): Promise<ReplicaSet> {
  return c.client.get<ReplicaSet>(REPLICASETS, 'default', name);
}

test('creates spec.replicas pods owned by the ReplicaSet, with events and status', async () => {
  const c = await startCluster([createReplicaSetController]);
  try {
    const rs = await c.client.create(REPLICASETS, replicaSet('web', 3));
    await c.quiesce();
    const pods = await c.pods();
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p.metadata?.name ?? '', /^web-/);
      assert.equal(p.metadata?.generateName, 'web-');
      assert.deepEqual(p.metadata?.labels, { app: 'web' });
      assert.deepEqual(p.metadata?.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    const events = await c.events();
    assert.deepEqual(
      events.map((e) => [e.object, e.type, e.reason, e.message]).sort(),
      pods.map((p) => ['ReplicaSet/web', 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata?.name}`]).sort(),
    );
    assert.deepEqual((await getRS(c, 'web')).status, { replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });

    await c.runPods();
    await c.quiesce();
    assert.deepEqual((await getRS(c, 'web')).status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
  } finally {
    await c.stop();
  }
});

test('expectations: no second round of creates before the first is observed', async () => {
  const c = await startCluster([createReplicaSetController]);
  try {
    let creates = 0;
    const create = c.client.create.bind(c.client);
    c.client.create = (async (info, obj, opts) => {
      if (info === PODS) creates++;
      return create(info, obj, opts);
    }) as typeof c.client.create;
    await c.client.create(REPLICASETS, replicaSet('web', 5));
    // Poke the ReplicaSet repeatedly while its creates are in flight: each sync must not create again.
    for (let i = 0; i < 5; i++) {
      const live = await getRS(c, 'web');
      await c.client.patch(REPLICASETS, 'default', 'web', { metadata: { annotations: { poke: String(i) } } }, 'merge');
      void live;
    }
    await c.quiesce();
    assert.equal(creates, 5);
    assert.equal((await c.pods()).length, 5);
  } finally {
    await c.stop();
  }
});

test('scaling down deletes the least valuable pods first; pods being deleted do not count', async () => {
  const c = await startCluster([createReplicaSetController]);
  try {
    await c.client.create(REPLICASETS, replicaSet('web', 4));
    await c.quiesce();
    const [first, second] = (await c.pods()).map((p) => p.metadata?.name ?? '');
    // Two pods run and are ready; the other two stay unscheduled.
    await c.runPods((p) => p.metadata?.name === first || p.metadata?.name === second);
    await c.quiesce();
    await c.client.patch(REPLICASETS, 'default', 'web', { spec: { replicas: 2 } }, 'merge');
    await c.quiesce();
    const left = (await c.pods()).map((p) => p.metadata?.name).sort();
    assert.deepEqual(left, [first, second].sort());
    const deletes = (await c.events()).filter((e) => e.reason === 'SuccessfulDelete');
    assert.equal(deletes.length, 2);
    assert.match(deletes[0]!.message, /^Deleted pod: web-/);
    assert.equal((await getRS(c, 'web')).status?.replicas, 2);

    // A pod with a finalizer lingers with a deletionTimestamp: it is replaced at once.
    const live = await c.client.get<Pod>(PODS, 'default', first!);
    await c.client.update(PODS, { ...live, metadata: { ...live.metadata, finalizers: ['test/hold'] } });
    await c.client.delete(PODS, 'default', first!);
    await c.quiesce();
    const pods = await c.pods();
    assert.equal(pods.length, 3);
    assert.equal(pods.filter((p) => !p.metadata?.deletionTimestamp).length, 2);
    assert.equal((await getRS(c, 'web')).status?.replicas, 2);
  } finally {
    await c.stop();
  }
});

test('adopts matching orphans and releases owned pods that stop matching', async () => {
  const c = await startCluster([createReplicaSetController]);
  try {
    await c.client.create(PODS, { metadata: { name: 'orphan', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } });
    await c.client.create(PODS, { metadata: { name: 'stranger', namespace: 'default', labels: { app: 'other' } }, spec: { containers: [{ name: 'c' }] } });
    const rs = await c.client.create(REPLICASETS, replicaSet('web', 2));
    await c.quiesce();
    const orphan = await c.client.get<Pod>(PODS, 'default', 'orphan');
    assert.equal(orphan.metadata?.ownerReferences?.[0]?.uid, rs.metadata?.uid);
    assert.equal((await c.client.get<Pod>(PODS, 'default', 'stranger')).metadata?.ownerReferences, undefined);
    assert.equal((await c.pods()).filter((p) => p.metadata?.labels?.app === 'web').length, 2, 'one adopted, one created');

    await c.client.patch(PODS, 'default', 'orphan', { metadata: { labels: { app: 'debug' } } }, 'merge');
    await c.quiesce();
    assert.equal((await c.client.get<Pod>(PODS, 'default', 'orphan')).metadata?.ownerReferences, undefined, 'released');
    assert.equal((await c.pods()).filter((p) => p.metadata?.labels?.app === 'web').length, 2, 'replaced');
  } finally {
    await c.stop();
  }
});

test('a failing create records FailedCreate and the ReplicaFailure condition, with slow start', async () => {
  const c = await startCluster([createReplicaSetController]);
  try {
    let attempts = 0;
    const create = c.client.create.bind(c.client);
    c.client.create = (async (info, obj, opts) => {
      if (info === PODS) {
        attempts++;
        throw new ApiError(403, 'Forbidden', 'pods "web-" is forbidden: exceeded quota: q');
      }
      return create(info, obj, opts);
    }) as typeof c.client.create;
    await c.client.create(REPLICASETS, replicaSet('web', 10));
    await c.quiesce();
    assert.ok(attempts <= 2, `slow start stops after the first failing batch (a status write triggers one more sync): ${attempts}`);
    const st = (await getRS(c, 'web')).status;
    assert.equal(st?.conditions?.[0]?.type, 'ReplicaFailure');
    assert.equal(st?.conditions?.[0]?.reason, 'FailedCreate');
    assert.equal(st?.conditions?.[0]?.message, 'pods "web-" is forbidden: exceeded quota: q');
    const ev = (await c.events()).find((e) => e.reason === 'FailedCreate');
    assert.deepEqual(ev, { reason: 'FailedCreate', type: 'Warning', object: 'ReplicaSet/web', message: 'Error creating: pods "web-" is forbidden: exceeded quota: q' });

    c.client.create = create;
    await c.clock.advance(10_000); // the rate-limited retry
    await c.quiesce();
    assert.equal((await c.pods()).length, 10);
    assert.equal((await getRS(c, 'web')).status?.conditions, undefined, 'cleared once creates succeed');
  } finally {
    await c.stop();
  }
});

test('minReadySeconds: available only after the pods have been ready that long', async () => {
  const c = await startCluster([createReplicaSetController]);
  try {
    await c.client.create(REPLICASETS, replicaSet('web', 2, { minReadySeconds: 10 }));
    await c.quiesce();
    await c.runPods();
    await c.quiesce();
    assert.equal((await getRS(c, 'web')).status?.readyReplicas, 2);
    assert.equal((await getRS(c, 'web')).status?.availableReplicas, undefined);
    await c.clock.advance(11_000);
    await c.quiesce();
    assert.equal((await getRS(c, 'web')).status?.availableReplicas, 2);
  } finally {
    await c.stop();
  }
});
