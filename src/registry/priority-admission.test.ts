import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { MemoryStore } from '../storage/memory.js';
import { RegistrySet } from './registry-set.js';
import { admitPodPriority, admitPriorityClass, admitPriorityClassDelete, type PriorityClassSource } from './priority-admission.js';

function source(...classes: PriorityClass[]): PriorityClassSource {
  return {
    get: async (name) => classes.find((c) => c.metadata?.name === name),
    list: async () => classes,
  };
}
const cls = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => ({ metadata: { name }, value, ...extra });
const pod = (spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }], ...spec } });
const specOf = (o: KubeObject) => o.spec as Record<string, unknown>;

async function refused(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 403);
    assert.equal(e.reason, 'Forbidden');
    return e.message;
  }
  assert.fail('admitted');
}

test("a pod takes its class's priority and preemptionPolicy; without a class, 0 and PreemptLowerPriority", async () => {
  const classes = source(cls('high', 1000, { preemptionPolicy: 'Never' }));
  const a = pod({ priorityClassName: 'high' });
  await admitPodPriority(a, classes);
  assert.deepEqual([specOf(a).priority, specOf(a).preemptionPolicy], [1000, 'Never']);
  const b = pod();
  await admitPodPriority(b, classes);
  assert.deepEqual([specOf(b).priority, specOf(b).preemptionPolicy, specOf(b).priorityClassName], [0, 'PreemptLowerPriority', undefined]);
  const same = pod({ priorityClassName: 'high', priority: 1000, preemptionPolicy: 'Never' });
  await admitPodPriority(same, classes);
  assert.equal(specOf(same).priority, 1000, 'the values the class gives may be repeated');
});

test('without a class a pod takes the global default (the lowest of several) and its name', async () => {
  const p = pod();
  await admitPodPriority(p, source(cls('a', 50, { globalDefault: true }), cls('b', 20, { globalDefault: true }), cls('c', 1)));
  assert.deepEqual([specOf(p).priority, specOf(p).priorityClassName], [20, 'b']);
});

test("an unknown class, or a priority or preemptionPolicy that is not the class's, is 403 with Kubernetes' messages", async () => {
  const classes = source(cls('high', 1000));
  assert.equal(await refused(admitPodPriority(pod({ priorityClassName: 'nope' }), classes)), 'pods "p" is forbidden: no PriorityClass with name nope was found');
  assert.equal(
    await refused(admitPodPriority(pod({ priorityClassName: 'high', priority: 5 }), classes)),
    'pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
  );
  assert.equal(
    await refused(admitPodPriority(pod({ priority: 5 }), classes)),
    'pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
  );
  assert.equal(
    await refused(admitPodPriority(pod({ priorityClassName: 'high', preemptionPolicy: 'Never' }), classes)),
    'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
  );
});

test('only one PriorityClass may be the global default, whether created so or updated', async () => {
  const classes = source(cls('first', 1, { globalDefault: true }), cls('plain', 2));
  const obj = (pc: PriorityClass) => pc as unknown as KubeObject;
  await admitPriorityClass(obj(cls('plain', 2)), classes);
  await admitPriorityClass(obj(cls('first', 1, { globalDefault: true })), classes);
  const message = 'PriorityClass first is already marked as default. Only one default can exist';
  assert.equal(await refused(admitPriorityClass(obj(cls('second', 2, { globalDefault: true })), classes)), `priorityclasses.scheduling.k8s.io "second" is forbidden: ${message}`);
  assert.equal(await refused(admitPriorityClass(obj(cls('plain', 2, { globalDefault: true })), classes, obj(cls('plain', 2)))), `priorityclasses.scheduling.k8s.io "plain" is forbidden: ${message}`);
  await admitPriorityClass(obj(cls('first', 1, { globalDefault: true, description: 'x' })), classes, obj(cls('first', 1, { globalDefault: true })));
});

/** A bootstrapped RegistrySet (built-in classes included) on a memory store. */
async function bootstrapped() {
  const store = new MemoryStore();
  const set = await RegistrySet.open({ store, config: { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 } });
  await set.bootstrap();
  return { store, set };
}

test('in a RegistrySet: pods take the global default, which is listed once per PriorityClass change, not once per pod', async () => {
  const { store, set } = await bootstrapped();
  let classLists = 0;
  const list = store.list.bind(store);
  store.list = async (prefix, opts) => {
    if (prefix.includes('priorityclasses')) classLists++;
    return list(prefix, opts);
  };
  const pods = set.mustGet('', 'v1', 'pods');
  const classes = set.mustGet('scheduling.k8s.io', 'v1', 'priorityclasses');
  let n = 0;
  const newPod = async () => specOf((await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${n++}` }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })).object);
  for (let i = 0; i < 20; i++) assert.equal((await newPod()).priority, 0);
  assert.equal(classLists, 1, 'one list for 20 pods');
  await classes.create(undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'd' }, value: 42, globalDefault: true } as unknown as KubeObject);
  const p = await newPod();
  assert.deepEqual([p.priority, p.priorityClassName], [42, 'd'], 'a new default counts at once');
  await classes.delete(undefined, 'd');
  assert.deepEqual([(await newPod()).priority, (await newPod()).priorityClassName], [0, undefined], 'so does its deletion');
  assert.equal(classLists, 3, 'one list per change');
  await store.close();
});

test('the built-in classes cannot be deleted (403); others can', () => {
  for (const name of ['system-node-critical', 'system-cluster-critical']) {
    assert.throws(
      () => admitPriorityClassDelete(name),
      (e: unknown) => e instanceof ApiError && e.code === 403 && e.message === `priorityclasses.scheduling.k8s.io "${name}" is forbidden: this is a system priority class and cannot be deleted`,
    );
  }
  admitPriorityClassDelete('high');
});

test('in a RegistrySet: a missing namespace is reported before an unknown class (404, as the NamespaceLifecycle admission runs first)', async () => {
  const { store, set } = await bootstrapped();
  const pods = set.mustGet('', 'v1', 'pods');
  const p = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { priorityClassName: 'nope', containers: [{ name: 'c', image: 'busybox' }] } };
  await assert.rejects(pods.create('missing', structuredClone(p)), (e: unknown) => e instanceof ApiError && e.code === 404 && /namespaces "missing" not found/.test(e.message));
  await assert.rejects(pods.create('default', structuredClone(p)), (e: unknown) => e instanceof ApiError && e.code === 403);
  await store.close();
});
