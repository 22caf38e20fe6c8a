import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ASSIGNED_POD_DELETE, NODE_ADD, NODE_UPDATE } from './framework.js';
import type { ClusterEvent } from './framework.js';
import { SchedulingQueue } from './scheduling-queue.js';
import { makePod } from './testing.js';

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const names = (q: SchedulingQueue): string[] => {
  const out: string[] = [];
  for (let p = q.pop(); p; p = q.pop()) {
    out.push(p.podInfo.name);
    q.done(p.podInfo.key);
  }
  return out;
};

test('activeQ pops by priority, then by arrival', () => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now });
  q.add(makePod('low-1', { priority: 0 }));
  clock.advance(1);
  q.add(makePod('high', { priority: 100 }));
  clock.advance(1);
  q.add(makePod('low-2'));
  clock.advance(1);
  q.add(makePod('mid', { priority: 10 }));
  assert.deepEqual(names(q), ['high', 'mid', 'low-1', 'low-2']);
});

test('unschedulable pods wait for a helpful event, then back off: 1s doubling to 10s', () => {
  const clock = fakeClock();
  const events: Record<string, readonly ClusterEvent[]> = { NodeResourcesFit: [NODE_ADD, ASSIGNED_POD_DELETE] };
  const q = new SchedulingQueue({ clock: clock.now, pluginEvents: (p) => events[p] });
  q.add(makePod('p'));
  const fits = new Set(['NodeResourcesFit']);
  const expected = [1000, 2000, 4000, 8000, 10000, 10000];
  for (const backoff of expected) {
    const qp = q.pop()!;
    const cycle = q.schedulingCycle;
    q.requeue(qp, cycle, { unschedulablePlugins: fits });
    assert.deepEqual(q.pending(), { active: 0, backoff: 0, unschedulable: 1, gated: 0 });
    q.onEvent(NODE_UPDATE);
    assert.equal(q.pending().unschedulable, 1, 'a node update does not help a pod NodeResourcesFit rejected');
    q.onEvent(NODE_ADD);
    assert.equal(q.pending().backoff, 1, 'still backing off');
    assert.equal(q.backoffDuration(qp), backoff);
    clock.advance(backoff - 1);
    q.flush();
    assert.equal(q.pop(), undefined);
    clock.advance(1);
    q.flush();
    assert.equal(q.pending().active, 1);
  }
});

test('an event during the scheduling attempt sends the failed pod to backoff, not to unschedulable', () => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now });
  q.add(makePod('p'));
  const qp = q.pop()!;
  const cycle = q.schedulingCycle;
  q.onEvent(NODE_ADD); // arrives while the pod is being scheduled
  q.requeue(qp, cycle, { unschedulablePlugins: new Set(['NodeResourcesFit']) });
  assert.deepEqual(q.pending(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
});

test('errors retry after backoff; unschedulable pods are retried after maxUnschedulableMs anyway', () => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now, maxUnschedulableMs: 60_000 });
  q.add(makePod('err'));
  q.add(makePod('stuck'));
  const a = q.pop()!;
  q.requeue(a, q.schedulingCycle, { error: true });
  const b = q.pop()!;
  q.requeue(b, q.schedulingCycle, { unschedulablePlugins: new Set(['X']) });
  assert.deepEqual(q.pending(), { active: 0, backoff: 1, unschedulable: 1, gated: 0 });
  clock.advance(1000);
  q.flush();
  assert.deepEqual(names(q), ['err']);
  clock.advance(59_000);
  q.flush();
  assert.deepEqual(names(q), ['stuck']);
});

test('updates, deletes and scheduling gates', () => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now });
  const gated = makePod('gated', { schedulingGates: ['example.com/wait'] });
  q.add(gated);
  assert.deepEqual(q.pending(), { active: 0, backoff: 0, unschedulable: 0, gated: 1 });
  q.update(makePod('gated'));
  assert.deepEqual(names(q), ['gated']);

  const p = makePod('p', { labels: { v: '1' } });
  q.add(p);
  const qp = q.pop()!;
  q.requeue(qp, q.schedulingCycle, { unschedulablePlugins: new Set(['X']) });
  q.update({ ...p, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] } });
  assert.equal(q.pending().unschedulable, 1, 'a status-only update does not retry the pod');
  q.update(makePod('p', { labels: { v: '2' } }));
  assert.equal(q.pending().backoff, 1, 'a spec or label change retries it (after its backoff)');

  q.add(makePod('d'));
  q.delete(makePod('d'));
  q.delete(makePod('p'));
  assert.deepEqual(q.pending(), { active: 0, backoff: 0, unschedulable: 0, gated: 0 });

  // Deleted while being scheduled: the failed attempt is dropped.
  q.add(makePod('flying'));
  const f = q.pop()!;
  q.delete(makePod('flying'));
  q.requeue(f, q.schedulingCycle, { error: true });
  assert.deepEqual(q.pending(), { active: 0, backoff: 0, unschedulable: 0, gated: 0 });
});

test('adding a known pod updates it; the in-flight copy follows updates', () => {
  const q = new SchedulingQueue({ clock: fakeClock().now });
  q.add(makePod('p', { priority: 1 }));
  q.add(makePod('p', { priority: 5 }));
  assert.equal(q.pending().active, 1);
  const qp = q.pop()!;
  assert.equal(qp.podInfo.priority, 5);
  const newer: Pod = makePod('p', { priority: 7 });
  q.update(newer);
  assert.equal(qp.podInfo.pod, newer);
});

test('waitForPod resolves when a pod arrives or the signal aborts', async () => {
  const q = new SchedulingQueue({ clock: fakeClock().now });
  const waiting = q.waitForPod();
  q.add(makePod('p'));
  await waiting;
  q.pop();
  const abort = new AbortController();
  const aborted = q.waitForPod(abort.signal);
  abort.abort();
  await aborted;
});
