import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { NotFoundError } from '../api/errors.js';
import type { SchedulerBinder, SchedulingFailure } from './scheduler.js';
import { Scheduler, nodeChangeMatters } from './scheduler.js';
import { makeNode, makePod } from './testing.js';

/** A binder that plays the API server: it records bindings and reports them back as the informer would. */
class FakeCluster implements SchedulerBinder {
  readonly bound = new Map<string, string>();
  readonly failures: { pod: string; failure: SchedulingFailure }[] = [];
  /** names of pods whose next bind fails with this error */
  readonly failNext = new Map<string, Error>();
  scheduler!: Scheduler;
  private waiters: { n: number; resolve: () => void }[] = [];

  async bind(pod: Pod, nodeName: string): Promise<void> {
    await Promise.resolve();
    const name = pod.metadata!.name!;
    const err = this.failNext.get(name);
    if (err) {
      this.failNext.delete(name);
      throw err;
    }
    this.bound.set(name, nodeName);
    this.scheduler.onPodUpdate(pod, { ...pod, spec: { ...pod.spec!, nodeName } });
    for (const w of this.waiters.filter((w) => this.bound.size >= w.n)) w.resolve();
  }

  async reportFailure(pod: Pod, failure: SchedulingFailure): Promise<void> {
    this.failures.push({ pod: pod.metadata!.name!, failure });
  }

  waitForBound(n: number): Promise<void> {
    if (this.bound.size >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

function setup(options: { clock?: () => number } = {}) {
  const cluster = new FakeCluster();
  const scheduler = new Scheduler({ binder: cluster, random: () => 0, clock: options.clock });
  cluster.scheduler = scheduler;
  return { cluster, scheduler };
}

function drain(s: Scheduler): number {
  let n = 0;
  while (s.scheduleOne()) n++;
  return n;
}

test('pending pods are scheduled, bound and confirmed in the cache', async () => {
  const { cluster, scheduler } = setup();
  for (const n of ['n1', 'n2', 'n3']) scheduler.onNodeAdd(makeNode(n));
  for (let i = 0; i < 9; i++) scheduler.onPodAdd(makePod(`p${i}`, { requests: { cpu: '100m', memory: '128Mi' } }));
  scheduler.onPodAdd(makePod('elsewhere', { schedulerName: 'other-scheduler' }));
  scheduler.onPodAdd(makePod('done', { phase: 'Succeeded' }));
  assert.equal(drain(scheduler), 9);
  await scheduler.whenBindsDone();
  assert.equal(cluster.bound.size, 9);
  const perNode = new Map<string, number>();
  for (const n of cluster.bound.values()) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  assert.deepEqual([...perNode.values()], [3, 3, 3]);
  assert.equal(scheduler.cache.podCount, 9);
  assert.deepEqual(scheduler.queue.pending(), { active: 0, backoff: 0, unschedulable: 0, gated: 0 });
});

test('an unschedulable pod is reported with Kubernetes wording and retried when a node is added', async () => {
  const { cluster, scheduler } = setup();
  scheduler.onNodeAdd(makeNode('small', { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } }));
  scheduler.onPodAdd(makePod('big', { requests: { cpu: '2' } }));
  drain(scheduler);
  await Promise.resolve();
  assert.deepEqual(cluster.failures, [{ pod: 'big', failure: { reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' } }]);
  assert.equal(scheduler.queue.pending().unschedulable, 1);
  // A heartbeat is not a relevant change.
  const small = makeNode('small', { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } });
  scheduler.onNodeUpdate(small, { ...small, status: { ...small.status, conditions: [{ type: 'Ready', status: 'True' }] } });
  assert.equal(scheduler.queue.pending().unschedulable, 1);
  scheduler.onNodeAdd(makeNode('large', { allocatable: { cpu: '8', memory: '8Gi', pods: '10' } }));
  // First attempt failed: the pod backs off (1 s) before it is retried.
  assert.equal(scheduler.queue.pending().backoff, 1);
});

test('a failed binding forgets the assumed pod and retries; a vanished pod is dropped', async () => {
  let now = 0;
  const { cluster, scheduler } = setup({ clock: () => now });
  scheduler.onNodeAdd(makeNode('n1', { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } }));
  cluster.failNext.set('p', new Error('connection reset'));
  cluster.failNext.set('gone', new NotFoundError({ resource: 'pods', group: '', name: 'gone' }));
  scheduler.onPodAdd(makePod('p', { requests: { cpu: '600m' } }));
  scheduler.onPodAdd(makePod('gone', { requests: { cpu: '100m' } }));
  drain(scheduler);
  assert.equal(scheduler.cache.snapshot.get('n1')!.requested.milliCPU, 700, 'both assumed while binding');
  await scheduler.whenBindsDone();
  assert.equal(scheduler.cache.snapshot.get('n1')!.requested.milliCPU, 0);
  assert.deepEqual(cluster.failures, [{ pod: 'p', failure: { reason: 'SchedulerError', message: 'Binding rejected: connection reset' } }]);
  assert.deepEqual(scheduler.queue.pending(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
  now += 1000;
  scheduler.queue.flush();
  drain(scheduler);
  await scheduler.whenBindsDone();
  assert.deepEqual([...cluster.bound], [['p', 'n1']]);
});

test('deleting a bound pod frees its node for an unschedulable pod', async () => {
  const { cluster, scheduler } = setup();
  scheduler.onNodeAdd(makeNode('n1', { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } }));
  const first = makePod('first', { requests: { cpu: '800m' }, nodeName: 'n1' });
  scheduler.onPodAdd(first);
  scheduler.onPodAdd(makePod('second', { requests: { cpu: '800m' } }));
  drain(scheduler);
  assert.equal(scheduler.queue.pending().unschedulable, 1);
  scheduler.onPodDelete(first);
  assert.equal(scheduler.cache.snapshot.get('n1')!.requested.milliCPU, 0);
  assert.equal(scheduler.queue.pending().backoff, 1);
  assert.equal(cluster.bound.size, 0);
});

test('start() runs the loop until stop()', async () => {
  const { cluster, scheduler } = setup();
  for (let i = 0; i < 10; i++) scheduler.onNodeAdd(makeNode(`n${i}`));
  scheduler.start();
  for (let i = 0; i < 200; i++) scheduler.onPodAdd(makePod(`p${i}`, { requests: { cpu: '10m' } }));
  await cluster.waitForBound(200);
  await scheduler.stop();
  assert.equal(cluster.bound.size, 200);
  assert.equal(new Set(cluster.bound.values()).size, 10);
});

test('nodeChangeMatters ignores heartbeats', () => {
  const n = makeNode('n');
  assert.equal(nodeChangeMatters(n, { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True' }] } }), false);
  assert.equal(nodeChangeMatters(n, { ...n, spec: { unschedulable: true } }), true);
  assert.equal(nodeChangeMatters(n, makeNode('n', { labels: { x: 'y' } })), true);
});
