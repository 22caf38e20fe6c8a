// Table-driven tests of the Job controller's pure parts: indexes, plans, conditions, backoff,
// slow start, pod classification.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { KubeObject } from '../../api/object.js';
import { formatIndexes, indexesToCreate, parseIndexes } from './indexes.js';
import { exceedsBackoffLimit, podFailureBackoff, setCondition, type MutableJobStatus } from './job-status.js';
import { JOB_TRACKING_FINALIZER, podOutcome } from './pod-state.js';
import { planIndexed, planNonIndexed, sameJson, type PodObject } from './reconcile.js';
import { slowStart } from './slow-start.js';

function pod(name: string, extra: { index?: number; ready?: boolean; node?: string; created?: string } = {}): PodObject {
  return {
    metadata: {
      name,
      uid: name,
      creationTimestamp: extra.created ?? '2025-01-01T00:00:00Z',
      ...(extra.index !== undefined ? { annotations: { 'batch.kubernetes.io/job-completion-index': String(extra.index) } } : {}),
    },
    spec: { containers: [], ...(extra.node ? { nodeName: extra.node } : {}) },
    status: { phase: extra.node ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: extra.ready ? 'True' : 'False' }] },
  };
}

describe('completion indexes', () => {
  const cases: { text: string; completions: number; want: number[]; formatted: string }[] = [
    { text: '', completions: 5, want: [], formatted: '' },
    { text: '0-2,5,7-8', completions: 10, want: [0, 1, 2, 5, 7, 8], formatted: '0-2,5,7-8' },
    { text: '3,1,2', completions: 10, want: [1, 2, 3], formatted: '1-3' },
    { text: '1-20', completions: 4, want: [1, 2, 3], formatted: '1-3' },
    { text: 'x,2', completions: 4, want: [2], formatted: '2' },
  ];
  for (const c of cases) {
    it(`parses ${JSON.stringify(c.text)} below ${c.completions}`, () => {
      const got = parseIndexes(c.text, c.completions);
      assert.deepEqual(got, c.want);
      assert.equal(formatIndexes(got), c.formatted);
    });
  }
  it('picks the lowest free indexes', () => {
    assert.deepEqual(indexesToCreate(6, new Set([0, 2]), new Set([1]), 2), [3, 4]);
    assert.deepEqual(indexesToCreate(3, new Set([0, 1, 2]), new Set(), 5), []);
  });
});

describe('plans', () => {
  it('NonIndexed: min(parallelism, completions − succeeded)', () => {
    const cases: { active: number; succeeded: number; completions: number | undefined; parallelism: number; create: number; remove: number }[] = [
      { active: 0, succeeded: 0, completions: 5, parallelism: 2, create: 2, remove: 0 },
      { active: 1, succeeded: 3, completions: 5, parallelism: 2, create: 1, remove: 0 },
      { active: 2, succeeded: 4, completions: 5, parallelism: 2, create: 0, remove: 1 },
      { active: 3, succeeded: 0, completions: 5, parallelism: 1, create: 0, remove: 2 },
      { active: 0, succeeded: 0, completions: undefined, parallelism: 3, create: 3, remove: 0 },
      { active: 1, succeeded: 1, completions: undefined, parallelism: 3, create: 0, remove: 0 },
    ];
    for (const c of cases) {
      const active = Array.from({ length: c.active }, (_, i) => pod(`p${i}`));
      const plan = planNonIndexed(active, c.succeeded, c.completions, c.parallelism);
      assert.equal(plan.create, c.create, JSON.stringify(c));
      assert.equal(plan.remove.length, c.remove, JSON.stringify(c));
    }
  });

  it('NonIndexed removes unscheduled, then not ready, then newer pods first', () => {
    const a = pod('a', { node: 'n', ready: true, created: '2025-01-01T00:00:00Z' });
    const b = pod('b', { node: 'n', ready: false, created: '2025-01-01T00:00:00Z' });
    const c = pod('c', {});
    const d = pod('d', { node: 'n', ready: true, created: '2025-01-01T00:01:00Z' });
    const plan = planNonIndexed([a, b, c, d], 0, 10, 1);
    assert.deepEqual(plan.remove.map((p) => p.metadata?.name), ['c', 'b', 'd']);
  });

  it('Indexed: duplicates, completed and out-of-range indexes go; free indexes are created', () => {
    const active = [pod('a', { index: 0 }), pod('b', { index: 0, node: 'n', ready: true }), pod('c', { index: 2 }), pod('d', { index: 9 }), pod('e')];
    const plan = planIndexed(active, new Set([2]), 4, 3);
    assert.deepEqual(plan.remove.map((p) => p.metadata?.name).sort(), ['a', 'c', 'd', 'e']);
    assert.deepEqual(plan.createIndexes, [1, 3]);
  });

  it('Indexed: above parallelism, the highest indexes go', () => {
    const active = [pod('a', { index: 0 }), pod('b', { index: 1 }), pod('c', { index: 2 })];
    const plan = planIndexed(active, new Set(), 5, 2);
    assert.deepEqual(plan.remove.map((p) => p.metadata?.name), ['c']);
    assert.deepEqual(plan.createIndexes, []);
  });
});

describe('job status arithmetic', () => {
  const job = (backoffLimit: number, restartPolicy: string): Job => ({ spec: { backoffLimit, template: { spec: { restartPolicy, containers: [] } } } });
  it('backoffLimit counts failed pods, and restarts for OnFailure', () => {
    const cases: [Job, number, number, boolean][] = [
      [job(2, 'Never'), 2, 0, false],
      [job(2, 'Never'), 3, 0, true],
      [job(2, 'Never'), 0, 5, false],
      [job(2, 'OnFailure'), 0, 1, false],
      [job(2, 'OnFailure'), 0, 2, true],
      [job(0, 'OnFailure'), 0, 1, true],
      [job(0, 'OnFailure'), 0, 0, false],
      [job(0, 'Never'), 1, 0, true],
    ];
    for (const [j, failed, restarts, want] of cases) assert.equal(exceedsBackoffLimit(j, failed, restarts), want, JSON.stringify([j.spec?.backoffLimit, failed, restarts]));
  });

  it('pod failure backoff doubles from 10 s and is capped', () => {
    const policy = { initialMs: 10_000, maxMs: 360_000 };
    assert.deepEqual([0, 1, 2, 3, 6, 7, 50].map((n) => podFailureBackoff(n, policy)), [0, 10_000, 20_000, 40_000, 320_000, 360_000, 360_000]);
  });

  it('conditions keep their transition time until the status changes', () => {
    const st: MutableJobStatus = {};
    assert.equal(setCondition(st, 'Suspended', 'True', 'JobSuspended', 'Job suspended', Date.UTC(2025, 0, 1)), true);
    assert.equal(setCondition(st, 'Suspended', 'True', 'JobSuspended', 'Job suspended', Date.UTC(2025, 0, 2)), false);
    assert.equal(setCondition(st, 'Suspended', 'False', 'JobResumed', 'Job resumed', Date.UTC(2025, 0, 3)), true);
    assert.equal(st.conditions?.[0]?.lastTransitionTime, '2025-01-03T00:00:00Z');
  });

  it('sameJson ignores key order', () => {
    assert.ok(sameJson({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }));
    assert.ok(!sameJson({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(sameJson({ a: 1, b: undefined }, { a: 1 }));
  });
});

describe('pod outcome', () => {
  const p = (extra: Partial<Pod & KubeObject>): Pod => ({ metadata: { finalizers: [JOB_TRACKING_FINALIZER], ...(extra.metadata ?? {}) }, spec: { containers: [], nodeName: 'n', ...(extra.spec ?? {}) }, status: extra.status ?? { phase: 'Running' } });
  it('classifies by phase and deletion', () => {
    assert.equal(podOutcome(p({}), true), 'active');
    assert.equal(podOutcome(p({ status: { phase: 'Succeeded' } }), true), 'succeeded');
    assert.equal(podOutcome(p({ status: { phase: 'Failed' } }), false), 'failed');
    const deleting = p({ metadata: { deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: [JOB_TRACKING_FINALIZER] } });
    assert.equal(podOutcome(deleting, true), 'failed', 'TerminatingOrFailed: a deleted pod has failed');
    assert.equal(podOutcome(deleting, false), 'terminating', 'Failed: wait for the kubelet');
    const unbound = p({ metadata: { deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: [JOB_TRACKING_FINALIZER] }, spec: { containers: [], nodeName: '' } });
    assert.equal(podOutcome(unbound, false), 'failed', 'no kubelet will finish an unbound pod');
    const released = p({ metadata: { deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: [] } });
    assert.equal(podOutcome(released, true), 'terminating');
  });
});

describe('slow start', () => {
  it('creates in batches of 1, 2, 4 and stops after a failing batch', async () => {
    const calls: number[] = [];
    const r = await slowStart(10, async (i) => {
      calls.push(i);
      if (i === 4) throw new Error('quota');
    });
    assert.deepEqual(calls, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(r.succeeded, 6);
    assert.equal(r.skipped, 3);
    assert.equal(r.errors.length, 1);
    const all = await slowStart(3, async () => undefined);
    assert.deepEqual(all, { succeeded: 3, skipped: 0, errors: [] });
  });
});
