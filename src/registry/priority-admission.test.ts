import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { admitPodPriority, admitPriorityClass, type PriorityClassSource } from './priority-admission.js';

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

test('only one PriorityClass may be the global default', async () => {
  const classes = source(cls('first', 1, { globalDefault: true }));
  await admitPriorityClass(cls('plain', 2) as unknown as KubeObject, classes);
  await admitPriorityClass(cls('first', 1, { globalDefault: true }) as unknown as KubeObject, classes);
  assert.equal(
    await refused(admitPriorityClass(cls('second', 2, { globalDefault: true }) as unknown as KubeObject, classes)),
    'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as default. Only one default can exist',
  );
});
