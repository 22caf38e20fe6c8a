// The disruption controller end to end on a FakeClient and FakeClock: informers, queues,
// reconcile, status writes, Events.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ConflictError } from '../../api/errors.js';
import type { OwnerReference } from '../../api/object.js';
import { rfc3339 } from '../../api/time.js';
import { Harness } from '../endpoints/testing.js';
import { startCluster, type TestCluster } from '../replicaset/testing.js';
import { createDisruptionController } from './controller.js';
import { DELETION_TIMEOUT_MS, DEPLOYMENTS, PDBS, PODS, REPLICASETS, type Deployment, type Pod, type PodDisruptionBudget, type ReplicaSet } from './objects.js';

const ns = 'default';

async function makePod(c: TestCluster, name: string, opts: { labels?: Record<string, string>; owner?: OwnerReference; ready?: boolean } = {}): Promise<Pod> {
  return c.client.create<Pod>(PODS, {
    metadata: { name, namespace: ns, labels: opts.labels ?? { app: 'web' }, ...(opts.owner ? { ownerReferences: [opts.owner] } : {}) },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  });
}

async function setReady(c: TestCluster, name: string, ready: boolean): Promise<void> {
  const pod = await c.client.get<Pod>(PODS, ns, name);
  const conditions = (pod.status?.conditions ?? []).filter((x) => x.type !== 'Ready');
  await c.client.updateStatus(PODS, { ...pod, status: { ...pod.status, conditions: [...conditions, { type: 'Ready', status: ready ? 'True' : 'False' }] } });
}

async function makeBudget(c: TestCluster, name: string, spec: PodDisruptionBudget['spec']): Promise<PodDisruptionBudget> {
  return c.client.create<PodDisruptionBudget>(PDBS, { metadata: { name, namespace: ns }, spec });
}

async function makeReplicaSet(c: TestCluster, name: string, replicas: number, owner?: OwnerReference): Promise<ReplicaSet> {
  return c.client.create<ReplicaSet>(REPLICASETS, {
    metadata: { name, namespace: ns, ...(owner ? { ownerReferences: [owner] } : {}) },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
}

function controllerRef(obj: { metadata?: { name?: string; uid?: string } }, kind: string): OwnerReference {
  return { apiVersion: 'apps/v1', kind, name: obj.metadata?.name ?? '', uid: obj.metadata?.uid ?? '', controller: true };
}

async function budget(c: TestCluster, name = 'web'): Promise<PodDisruptionBudget> {
  return c.client.get<PodDisruptionBudget>(PDBS, ns, name);
}

/** The budget's counts and its DisruptionAllowed condition's status and reason, once the controller has settled. */
async function settled(c: TestCluster, name = 'web') {
  await c.quiesce();
  const st = (await budget(c, name)).status;
  const cond = st?.conditions?.find((x) => x.type === 'DisruptionAllowed');
  return {
    expectedPods: st?.expectedPods,
    desiredHealthy: st?.desiredHealthy,
    currentHealthy: st?.currentHealthy,
    disruptionsAllowed: st?.disruptionsAllowed,
    condition: `${cond?.status}/${cond?.reason}`,
  };
}

test('minAvailable as an integer counts the selected pods; readiness changes move disruptionsAllowed', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    for (const name of ['web-1', 'web-2', 'web-3']) await makePod(c, name);
    await makePod(c, 'other', { labels: { app: 'other' } });
    await makeBudget(c, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    assert.deepEqual(await settled(c), { expectedPods: 3, desiredHealthy: 1, currentHealthy: 3, disruptionsAllowed: 2, condition: 'True/SufficientPods' });
    const st = (await budget(c)).status!;
    assert.equal(st.observedGeneration, 1);
    assert.deepEqual(st.conditions, [{ type: 'DisruptionAllowed', status: 'True', observedGeneration: 1, lastTransitionTime: rfc3339(c.clock.now()), reason: 'SufficientPods', message: '' }]);
    const allowedSince = st.conditions![0]!.lastTransitionTime;

    await c.clock.advance(30_000);
    await setReady(c, 'web-1', false);
    assert.deepEqual(await settled(c), { expectedPods: 3, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1, condition: 'True/SufficientPods' });
    assert.equal((await budget(c)).status?.conditions?.[0]?.lastTransitionTime, allowedSince, 'same status: lastTransitionTime kept');

    await setReady(c, 'web-2', false);
    assert.deepEqual(await settled(c), { expectedPods: 3, desiredHealthy: 1, currentHealthy: 1, disruptionsAllowed: 0, condition: 'False/InsufficientPods' });
    assert.equal((await budget(c)).status?.conditions?.[0]?.lastTransitionTime, rfc3339(c.clock.now()));

    // A pod relabelled out of the selector, and a deleted pod, leave the count.
    await c.client.patch(PODS, ns, 'web-3', { metadata: { labels: { app: 'debug' } } }, 'merge');
    assert.deepEqual(await settled(c), { expectedPods: 2, desiredHealthy: 1, currentHealthy: 0, disruptionsAllowed: 0, condition: 'False/InsufficientPods' });
    await c.client.delete(PODS, ns, 'web-2');
    assert.deepEqual(await settled(c), { expectedPods: 1, desiredHealthy: 1, currentHealthy: 0, disruptionsAllowed: 0, condition: 'False/InsufficientPods' });
  } finally {
    await c.stop();
  }
});

test('an empty selector selects every pod of the namespace, a missing one none', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    await makePod(c, 'a', { labels: { app: 'a' } });
    await makePod(c, 'b', { labels: { app: 'b' } });
    await makeBudget(c, 'all', { minAvailable: 0, selector: {} });
    await makeBudget(c, 'none', { minAvailable: 0 });
    assert.deepEqual(await settled(c, 'all'), { expectedPods: 2, desiredHealthy: 0, currentHealthy: 2, disruptionsAllowed: 2, condition: 'True/SufficientPods' });
    assert.deepEqual(await settled(c, 'none'), { expectedPods: 0, desiredHealthy: 0, currentHealthy: 0, disruptionsAllowed: 0, condition: 'False/InsufficientPods' });
    const noPods = (await c.events()).filter((e) => e.reason === 'NoPods');
    assert.deepEqual(noPods, [{ reason: 'NoPods', message: 'No matching pods found', type: 'Normal', object: 'PodDisruptionBudget/none' }]);
  } finally {
    await c.stop();
  }
});

test('maxUnavailable over a ReplicaSet counts its scale; scaling it updates the budget', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    const rs = await makeReplicaSet(c, 'web', 3);
    for (const name of ['web-1', 'web-2', 'web-3']) await makePod(c, name, { owner: controllerRef(rs, 'ReplicaSet') });
    await makeBudget(c, 'web', { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } });
    assert.deepEqual(await settled(c), { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1, condition: 'True/SufficientPods' });

    // Scaled up, its new pods not created yet: the budget expects them already.
    await c.client.patch(REPLICASETS, ns, 'web', { spec: { replicas: 5 } }, 'merge');
    assert.deepEqual(await settled(c), { expectedPods: 5, desiredHealthy: 4, currentHealthy: 3, disruptionsAllowed: 0, condition: 'False/InsufficientPods' });
  } finally {
    await c.stop();
  }
});

test("maxUnavailable as a percentage over a Deployment's ReplicaSets uses the Deployment's replicas", async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    const d = await c.client.create<Deployment>(DEPLOYMENTS, {
      metadata: { name: 'web', namespace: ns },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    // Mid-rollout: two ReplicaSets of the Deployment, with 3 + 2 replicas.
    const oldRs = await makeReplicaSet(c, 'web-old', 3, controllerRef(d, 'Deployment'));
    const newRs = await makeReplicaSet(c, 'web-new', 2, controllerRef(d, 'Deployment'));
    for (const name of ['old-1', 'old-2', 'old-3']) await makePod(c, name, { owner: controllerRef(oldRs, 'ReplicaSet') });
    for (const name of ['new-1', 'new-2']) await makePod(c, name, { owner: controllerRef(newRs, 'ReplicaSet'), ready: name === 'new-1' });
    await makeBudget(c, 'web', { maxUnavailable: '30%', selector: { matchLabels: { app: 'web' } } });
    // 30% of 4 rounds up to 2: desiredHealthy 2; 4 pods are ready.
    assert.deepEqual(await settled(c), { expectedPods: 4, desiredHealthy: 2, currentHealthy: 4, disruptionsAllowed: 2, condition: 'True/SufficientPods' });

    await c.client.patch(DEPLOYMENTS, ns, 'web', { spec: { replicas: 10 } }, 'merge');
    assert.deepEqual(await settled(c), { expectedPods: 10, desiredHealthy: 7, currentHealthy: 4, disruptionsAllowed: 0, condition: 'False/InsufficientPods' });
  } finally {
    await c.stop();
  }
});

test('a controller that cannot be found: CalculateExpectedPodCountFailed, SyncFailed, no disruptions', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    const rs = await makeReplicaSet(c, 'web', 3);
    for (const name of ['web-1', 'web-2', 'web-3']) await makePod(c, name, { owner: controllerRef(rs, 'ReplicaSet') });
    await makeBudget(c, 'web', { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } });
    assert.equal((await settled(c)).disruptionsAllowed, 1);

    // The ReplicaSet goes (its pods stay, orphaned in name only): the expected count is unknown.
    await c.client.delete(REPLICASETS, ns, 'web');
    assert.deepEqual(await settled(c), { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 0, condition: 'False/SyncFailed' });
    const cond = (await budget(c)).status?.conditions?.[0];
    assert.equal(cond?.message, 'found no controllers for pod "web-1"');
    assert.ok(
      await c.until(async () => (await c.events()).some((e) => e.reason === 'CalculateExpectedPodCountFailed')),
      'CalculateExpectedPodCountFailed recorded',
    );
    const ev = (await c.events()).find((e) => e.reason === 'CalculateExpectedPodCountFailed');
    assert.deepEqual(ev, {
      reason: 'CalculateExpectedPodCountFailed',
      type: 'Warning',
      object: 'PodDisruptionBudget/web',
      message: 'Failed to calculate the number of expected pods: found no controllers for pod "web-1"',
    });

    // A kind skiff does not serve fails the same way.
    await makePod(c, 'db-0', { labels: { app: 'db' }, owner: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'uid-db', controller: true } });
    await makeBudget(c, 'db', { minAvailable: '50%', selector: { matchLabels: { app: 'db' } } });
    assert.equal((await settled(c, 'db')).condition, 'False/SyncFailed');
    assert.equal((await budget(c, 'db')).status?.conditions?.[0]?.message, 'no matches for kind "StatefulSet" in version "apps/v1"');
  } finally {
    await c.stop();
  }
});

test('pods seen before their ReplicaSet: SyncFailed until it reaches the cache, then adopted by a Deployment', async () => {
  const h = new Harness();
  await h.start(createDisruptionController);
  try {
    const status = async () => (await h.client.get<PodDisruptionBudget>(PDBS, ns, 'web')).status;
    // The ReplicaSet informer lags: the controller sees the pods first.
    h.holdWatchEvents('replicasets');
    const rs = await h.client.create<ReplicaSet>(REPLICASETS, {
      metadata: { name: 'web', namespace: ns },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await h.client.create(PDBS, { metadata: { name: 'web', namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } } as PodDisruptionBudget);
    for (const name of ['web-1', 'web-2']) {
      await h.client.create<Pod>(PODS, {
        metadata: { name, namespace: ns, labels: { app: 'web' }, ownerReferences: [controllerRef(rs, 'ReplicaSet')] },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      });
    }
    await h.settle();
    assert.equal((await status())?.conditions?.[0]?.reason, 'SyncFailed');

    h.releaseWatchEvents('replicasets');
    await h.settle();
    let st = await status();
    assert.deepEqual([st?.expectedPods, st?.desiredHealthy, st?.currentHealthy, st?.disruptionsAllowed], [2, 1, 2, 1]);
    assert.deepEqual([st?.conditions?.[0]?.reason, st?.conditions?.[0]?.message], ['SufficientPods', ''], 'the failure message is cleared');

    // A Deployment adopts the ReplicaSet: its replicas count from then on.
    const d = await h.client.create<Deployment>(DEPLOYMENTS, {
      metadata: { name: 'web', namespace: ns },
      spec: { replicas: 6, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await h.client.patch(REPLICASETS, ns, 'web', { metadata: { ownerReferences: [controllerRef(d, 'Deployment')] } }, 'merge');
    await h.settle();
    st = await status();
    assert.deepEqual([st?.expectedPods, st?.desiredHealthy, st?.currentHealthy, st?.disruptionsAllowed, st?.conditions?.[0]?.reason], [6, 5, 2, 0, 'InsufficientPods']);
  } finally {
    await h.stop();
  }
});

test('pods without a controller are left out of a scaled count, with an UnmanagedPods warning', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    const rs = await makeReplicaSet(c, 'web', 2);
    for (const name of ['web-1', 'web-2']) await makePod(c, name, { owner: controllerRef(rs, 'ReplicaSet') });
    await makePod(c, 'stray');
    await makeBudget(c, 'web', { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } });
    // expected 2 (the ReplicaSet), desired 1; all three pods are ready.
    assert.deepEqual(await settled(c), { expectedPods: 2, desiredHealthy: 1, currentHealthy: 3, disruptionsAllowed: 2, condition: 'True/SufficientPods' });
    assert.ok(await c.until(async () => (await c.events()).some((e) => e.reason === 'UnmanagedPods')));
    const ev = (await c.events()).find((e) => e.reason === 'UnmanagedPods');
    assert.equal(ev?.type, 'Warning');
    assert.match(ev?.message ?? '', /^Pods selected by this PodDisruptionBudget \(selector: app=web\) were found to be unmanaged\./);
  } finally {
    await c.stop();
  }
});

test('disruptedPods: evicted pods do not count until deleted or 2 minutes have passed', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    for (const name of ['web-1', 'web-2', 'web-3', 'web-4']) await makePod(c, name);
    await makeBudget(c, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    assert.equal((await settled(c)).disruptionsAllowed, 3);

    // What the eviction subresource writes: the evicted pods with the time, one disruption fewer.
    const evictedAt = rfc3339(c.clock.now());
    await c.client.patch(PDBS, ns, 'web', { status: { disruptionsAllowed: 2, disruptedPods: { 'web-1': evictedAt, 'web-2': evictedAt, gone: evictedAt } } }, 'merge', { subresource: 'status' });
    assert.deepEqual(await settled(c), { expectedPods: 4, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1, condition: 'True/SufficientPods' });
    assert.deepEqual((await budget(c)).status?.disruptedPods, { 'web-1': evictedAt, 'web-2': evictedAt }, 'an entry for a pod that is gone is dropped');

    // web-2 starts terminating: its entry has done its job.
    const live = await c.client.get<Pod>(PODS, ns, 'web-2');
    await c.client.update(PODS, { ...live, metadata: { ...live.metadata, finalizers: ['test/hold'] } });
    await c.client.delete(PODS, ns, 'web-2');
    assert.deepEqual(await settled(c), { expectedPods: 4, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1, condition: 'True/SufficientPods' });
    assert.deepEqual((await budget(c)).status?.disruptedPods, { 'web-1': evictedAt });

    // web-1 is never deleted: just before the timeout it is still held back ...
    await c.clock.advance(DELETION_TIMEOUT_MS - 1000);
    await c.quiesce();
    assert.deepEqual((await budget(c)).status?.disruptedPods, { 'web-1': evictedAt });
    // ... and after it, without any other event, it counts again.
    await c.clock.advance(2000);
    assert.deepEqual(await settled(c), { expectedPods: 4, desiredHealthy: 1, currentHealthy: 3, disruptionsAllowed: 2, condition: 'True/SufficientPods' });
    assert.equal((await budget(c)).status?.disruptedPods, undefined);
    assert.ok(await c.until(async () => (await c.events()).some((e) => e.reason === 'NotDeleted')));
    assert.deepEqual(
      (await c.events()).find((e) => e.reason === 'NotDeleted'),
      { reason: 'NotDeleted', type: 'Warning', object: 'Pod/web-1', message: "Pod was expected by PDB default/web to be deleted but it wasn't" },
    );
  } finally {
    await c.stop();
  }
});

test('observedGeneration follows metadata.generation', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    for (const name of ['web-1', 'web-2', 'web-3']) await makePod(c, name);
    await makeBudget(c, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    await c.quiesce();
    assert.equal((await budget(c)).status?.observedGeneration, 1);
    await c.client.patch(PDBS, ns, 'web', { spec: { minAvailable: 2 } }, 'merge');
    await c.quiesce();
    const pdb = await budget(c);
    assert.equal(pdb.metadata?.generation, 2);
    assert.equal(pdb.status?.observedGeneration, 2);
    assert.equal(pdb.status?.conditions?.[0]?.observedGeneration, 2);
    assert.equal(pdb.status?.desiredHealthy, 2);
    assert.equal(pdb.status?.disruptionsAllowed, 1);
  } finally {
    await c.stop();
  }
});

test('nothing changed: no status write', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    for (const name of ['web-1', 'web-2']) await makePod(c, name);
    await makeBudget(c, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    await c.quiesce();
    let writes = 0;
    const updateStatus = c.client.updateStatus.bind(c.client);
    c.client.updateStatus = (async (info, obj, opts) => {
      if (info === PDBS) writes++;
      return updateStatus(info, obj, opts);
    }) as typeof c.client.updateStatus;
    const before = (await budget(c)).metadata?.resourceVersion;

    // Each of these syncs the budget; none changes its status.
    await c.client.patch(PODS, ns, 'web-1', { metadata: { annotations: { poke: '1' } } }, 'merge');
    await c.client.patch(PDBS, ns, 'web', { metadata: { annotations: { poke: '1' } } }, 'merge');
    const poked = (await budget(c)).metadata?.resourceVersion;
    await c.clock.advance(60_000);
    await makePod(c, 'unrelated', { labels: { app: 'other' } });
    await c.quiesce();
    assert.notEqual(poked, before);
    assert.equal((await budget(c)).metadata?.resourceVersion, poked);
    assert.equal(writes, 0);
  } finally {
    await c.stop();
  }
});

test('a Conflict on the status write is retried with backoff', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    for (const name of ['web-1', 'web-2']) await makePod(c, name);
    c.client.injectError('updateStatus', new ConflictError({ resource: 'poddisruptionbudgets', group: 'policy', name: 'web' }), 2);
    await makeBudget(c, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    await c.quiesce();
    assert.equal((await budget(c)).status?.disruptionsAllowed, undefined, 'not written yet');
    assert.ok(c.logs.some((l) => l.includes('sync of default/web failed')));
    // Two rate-limited retries (5 ms, then 10 ms): let each come due in turn.
    for (let i = 0; i < 3; i++) {
      await c.clock.advance(100);
      await c.quiesce();
    }
    assert.equal((await settled(c)).disruptionsAllowed, 1);
  } finally {
    await c.stop();
  }
});

test('a stale DisruptionTarget condition is reset to False after 2 minutes', async () => {
  const c = await startCluster([createDisruptionController]);
  try {
    const evicted = await makePod(c, 'web-1');
    await c.client.updateStatus(PODS, {
      ...evicted,
      status: { ...evicted.status, conditions: [...(evicted.status?.conditions ?? []), { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: rfc3339(c.clock.now()) }] },
    });
    const byKubelet = await makePod(c, 'web-2');
    await c.client.updateStatus(PODS, {
      ...byKubelet,
      status: { ...byKubelet.status, conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: rfc3339(c.clock.now()) }] },
    });
    const markedAt = c.clock.now();
    const target = async (name: string) => (await c.client.get<Pod>(PODS, ns, name)).status?.conditions?.find((x) => x.type === 'DisruptionTarget');
    await c.clock.advance(60_000);
    await c.quiesce();
    assert.equal((await target('web-1'))?.status, 'True');
    await c.clock.advance(61_000);
    await c.quiesce();
    assert.deepEqual(await target('web-1'), { type: 'DisruptionTarget', status: 'False', lastTransitionTime: rfc3339(markedAt + 120_000) });
    assert.equal((await target('web-2'))?.status, 'True', "the kubelet's condition never goes stale");
  } finally {
    await c.stop();
  }
});
