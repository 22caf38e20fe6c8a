// evictPod against real registries on a MemoryStore: which evictions a PodDisruptionBudget allows,
// what it records, and the errors Kubernetes answers with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, ConflictError } from '../api/errors.js';
import { MemoryStore } from '../storage/memory.js';
import { RegistrySet } from '../registry/registry-set.js';
import { evictPod, type EvictionDeps } from './eviction.js';

const config = { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767] as const, defaultTolerationSeconds: 300 };
const NOW = new Date('2026-11-27T12:00:00Z');

async function setUp() {
  const store = new MemoryStore();
  const set = await RegistrySet.open({ store, config });
  await set.bootstrap();
  const pods = set.get('', 'v1', 'pods')!;
  const pdbs = set.get('policy', 'v1', 'poddisruptionbudgets')!;
  const deps: EvictionDeps = { pods, pdbs, now: () => NOW, sleep: async () => {} };
  /** A pod of app=web, unscheduled (so deletion is immediate), in `phase`, Ready or not. */
  const pod = async (name: string, phase = 'Running', ready = true, labels: Record<string, string> = { app: 'web' }) => {
    const created = (await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })).object;
    const status = { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
    await pods.replace('default', name, { ...created, status }, { subresource: 'status' });
  };
  /** A budget over app=web with the status a disruption controller would write. */
  const pdb = async (name: string, spec: Record<string, unknown>, status: Record<string, unknown>, observed = true) => {
    const created = (await pdbs.create('default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } })).object;
    await pdbs.replace('default', name, { ...created, status: { observedGeneration: observed ? created.metadata?.generation : 0, ...status } }, { subresource: 'status' });
  };
  const exists = async (name: string) => (await pods.list('default')).items.some((e) => e.object.metadata?.name === name);
  const pdbStatus = async (name: string) => (await pdbs.get('default', name)).object.status as Record<string, unknown>;
  const refusal = async (p: Promise<unknown>): Promise<ApiError> => {
    try {
      await p;
    } catch (e) {
      if (e instanceof ApiError) return e;
      throw e;
    }
    assert.fail('the eviction was allowed');
  };
  return { store, deps, pods, pdbs, pod, pdb, exists, pdbStatus, refusal };
}

test('a budget that allows one disruption: the first Ready pod goes and is recorded, the second gets 429 with the budget\'s numbers', async () => {
  const { store, deps, pod, pdb, exists, pdbStatus, refusal } = await setUp();
  try {
    await pod('a');
    await pod('b');
    await pdb('web', { minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    await evictPod(deps, 'default', 'a', {});
    assert.equal(await exists('a'), false);
    const s = await pdbStatus('web');
    assert.equal(s.disruptionsAllowed, 0);
    assert.deepEqual(s.disruptedPods, { a: '2026-11-27T12:00:00Z' });

    const e = await refusal(evictPod(deps, 'default', 'b', {}));
    assert.equal(e.code, 429);
    assert.equal(e.reason, 'TooManyRequests');
    assert.equal(e.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(e.details?.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 2 currently' }]);
    assert.equal(await exists('b'), true);
  } finally {
    await store.close();
  }
});

test('a budget the controller has not processed yet refuses; two budgets over one pod are a 500; no budget, or a pod it does not select, is evicted', async () => {
  const { store, deps, pod, pdb, pdbs, exists, refusal } = await setUp();
  try {
    await pod('a');
    await pdb('web', { maxUnavailable: 1 }, { disruptionsAllowed: 1 }, false);
    const stale = await refusal(evictPod(deps, 'default', 'a', {}));
    assert.equal(stale.code, 429);
    assert.match(stale.details?.causes?.[0]?.message ?? '', /The disruption budget web is still being processed by the server\./);

    await pdb('web-too', { maxUnavailable: 1 }, { disruptionsAllowed: 1 });
    const two = await refusal(evictPod(deps, 'default', 'a', {}));
    assert.equal(two.code, 500);
    assert.match(two.message, /more than one PodDisruptionBudget/);

    await pod('other', 'Running', true, { app: 'other' });
    await evictPod(deps, 'default', 'other', {});
    assert.equal(await exists('other'), false);
    await pdbs.delete('default', 'web');
    await pdbs.delete('default', 'web-too');
    await evictPod(deps, 'default', 'a', {});
    assert.equal(await exists('a'), false);
  } finally {
    await store.close();
  }
});

test('pods that are not Ready: refused while the application is short of healthy pods, unless AlwaysAllow; Pending pods always go', async () => {
  const { store, deps, pod, pdb, pdbs, exists, pdbStatus, refusal } = await setUp();
  try {
    await pod('sick', 'Running', false);
    await pod('waiting', 'Pending', false);
    await pdb('web', { minAvailable: 2 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2, expectedPods: 2 });
    const short = await refusal(evictPod(deps, 'default', 'sick', {}));
    assert.equal(short.code, 429);
    assert.deepEqual(short.details?.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 1 currently' }]);
    await evictPod(deps, 'default', 'waiting', {});
    assert.equal(await exists('waiting'), false);

    const live = (await pdbs.get('default', 'web')).object;
    await pdbs.replace('default', 'web', { ...live, spec: { ...(live.spec as object), unhealthyPodEvictionPolicy: 'AlwaysAllow' } });
    await pdbs.replace('default', 'web', { ...(await pdbs.get('default', 'web')).object, status: { ...(await pdbStatus('web')), observedGeneration: 2 } }, { subresource: 'status' });
    await evictPod(deps, 'default', 'sick', {});
    assert.equal(await exists('sick'), false);
    assert.equal((await pdbStatus('web')).disruptionsAllowed, 0, 'an unhealthy pod takes no disruption');
  } finally {
    await store.close();
  }
});

test('dryRun writes nothing; a budget changed meanwhile (conflict) is read again', async () => {
  const { store, deps, pod, pdb, pdbs, exists, pdbStatus } = await setUp();
  try {
    await pod('a');
    await pdb('web', { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    const before = (await pdbs.get('default', 'web')).object.metadata?.resourceVersion;
    await evictPod(deps, 'default', 'a', { dryRun: true });
    assert.equal(await exists('a'), true);
    assert.equal((await pdbs.get('default', 'web')).object.metadata?.resourceVersion, before);

    let conflicts = 0;
    const replace = pdbs.replace.bind(pdbs);
    pdbs.replace = async (...args: Parameters<typeof pdbs.replace>) => {
      if (conflicts++ === 0) throw new ConflictError({ resource: 'poddisruptionbudgets', group: 'policy', name: 'web' });
      return replace(...args);
    };
    await evictPod(deps, 'default', 'a', {});
    assert.equal(conflicts, 2);
    assert.equal(await exists('a'), false);
    assert.equal((await pdbStatus('web')).disruptionsAllowed, 0);
  } finally {
    await store.close();
  }
});


test('an evicted pod gets the DisruptionTarget condition before its (graceful) deletion', async () => {
  const { store, deps, pods } = await setUp();
  try {
    await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } });
    await evictPod(deps, 'default', 'bound', {});
    const pod = (await pods.get('default', 'bound')).object; // bound: deleted gracefully, still there
    assert.ok(pod.metadata?.deletionTimestamp);
    const c = (pod.status as { conditions?: Record<string, unknown>[] }).conditions?.find((x) => x.type === 'DisruptionTarget');
    assert.deepEqual([c?.status, c?.reason, c?.message], ['True', 'EvictionByEvictionAPI', 'Eviction API: evicting']);
  } finally {
    await store.close();
  }
});

test('a pod that is not Ready under a budget that wants no healthy pods spends a disruption like any other', async () => {
  const { store, deps, pod, pdb, exists, pdbStatus } = await setUp();
  try {
    await pod('sick', 'Running', false);
    await pdb('web', { maxUnavailable: '100%' }, { disruptionsAllowed: 2, currentHealthy: 2, desiredHealthy: 0, expectedPods: 2 });
    await evictPod(deps, 'default', 'sick', {});
    assert.equal(await exists('sick'), false);
    assert.equal((await pdbStatus('web')).disruptionsAllowed, 1);
  } finally {
    await store.close();
  }
});

test('12 evictions at once under a budget of 11: 11 go, one gets 429, none a conflict; the budget reads 0 and DisruptionAllowed False', async () => {
  const { store, deps, pod, pdb, pdbStatus } = await setUp();
  try {
    const names = Array.from({ length: 12 }, (_, i) => `p${i}`);
    for (const n of names) await pod(n);
    await pdb('web', { minAvailable: 1 }, { disruptionsAllowed: 11, currentHealthy: 12, desiredHealthy: 1, expectedPods: 12, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: '2026-11-27T11:00:00Z' }] });
    let conflictWaits = 0;
    const counting = { ...deps, sleep: async () => void conflictWaits++ };
    const results = await Promise.allSettled(names.map((n) => evictPod(counting, 'default', n, {})));
    assert.equal(conflictWaits, 0, 'concurrent evictions of one budget conflicted with each other');
    const codes = results.map((r) => (r.status === 'fulfilled' ? 201 : r.reason instanceof ApiError ? r.reason.code : String(r.reason)));
    assert.deepEqual(codes.filter((c) => c !== 201), [429], JSON.stringify(codes));
    const s = await pdbStatus('web');
    assert.equal(s.disruptionsAllowed, 0);
    assert.equal(Object.keys(s.disruptedPods as object).length, 11);
    assert.deepEqual((s.conditions as Record<string, unknown>[]).map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]), [['DisruptionAllowed', 'False', 'InsufficientPods', '2026-11-27T12:00:00Z']]);
  } finally {
    await store.close();
  }
});

test('the caller\'s preconditions: a wrong uid is a 409 before anything is written; a right resourceVersion evicts', async () => {
  const { store, deps, pods, pod, pdb, exists, pdbStatus } = await setUp();
  try {
    await pod('a');
    await pdb('web', { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    const live = (await pods.get('default', 'a')).object;
    const wrong = evictPod(deps, 'default', 'a', { preconditions: { uid: 'not-the-uid' } });
    await assert.rejects(wrong, (e: unknown) => e instanceof ApiError && e.code === 409 && /Precondition failed: UID in precondition: not-the-uid/.test(e.message));
    assert.equal((await pdbStatus('web')).disruptionsAllowed, 1, 'no disruption spent');
    const after = (await pods.get('default', 'a')).object;
    assert.equal(after.metadata?.resourceVersion, live.metadata?.resourceVersion, 'the pod was not written');
    await evictPod(deps, 'default', 'a', { preconditions: { uid: live.metadata?.uid, resourceVersion: live.metadata?.resourceVersion } });
    assert.equal(await exists('a'), false);
  } finally {
    await store.close();
  }
});
