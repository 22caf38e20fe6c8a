import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod, ReplicaSet } from './objects.js';
import { calculateStatus, nextAvailableInMs, statusUpToDate } from './status.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function rs(over: { replicas?: number; minReadySeconds?: number; conditions?: boolean } = {}): ReplicaSet {
  return {
    metadata: { name: 'web', namespace: 'default', generation: 2 },
    spec: {
      replicas: over.replicas ?? 3,
      minReadySeconds: over.minReadySeconds ?? 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c' }] } },
    },
    status: {
      replicas: 0,
      observedGeneration: 1,
      ...(over.conditions ? { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'x', lastTransitionTime: ago(60) }] } : {}),
    },
  };
}

function pod(labels: Record<string, string>, readySince?: number): Pod {
  return {
    metadata: { name: 'p', labels },
    status: readySince === undefined ? { phase: 'Pending' } : { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(readySince) }] },
  };
}

test('calculateStatus counts replicas, fully labeled, ready and available pods', () => {
  const full = { app: 'web', tier: 'fe' };
  const cases: { why: string; rs: ReplicaSet; pods: Pod[]; want: object }[] = [
    { why: 'no pods', rs: rs(), pods: [], want: { replicas: 0, observedGeneration: 1 } },
    {
      why: 'mixed',
      rs: rs(),
      pods: [pod(full, 30), pod({ app: 'web' }, 30), pod(full)],
      want: { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 },
    },
    {
      why: 'minReadySeconds: ready 30s is not available for 60s',
      rs: rs({ minReadySeconds: 60 }),
      pods: [pod(full, 30), pod(full, 61)],
      want: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 },
    },
    {
      why: 'exactly minReadySeconds is not yet available',
      rs: rs({ minReadySeconds: 60 }),
      pods: [pod(full, 60)],
      want: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, observedGeneration: 1 },
    },
  ];
  for (const c of cases) assert.deepEqual(calculateStatus({ rs: c.rs, pods: c.pods, nowMs: NOW }), c.want, c.why);
});

test('calculateStatus sets ReplicaFailure on a failed sync and clears it on a successful one', () => {
  const failed = calculateStatus({ rs: rs(), pods: [], manageError: new Error('pods "web-" is forbidden: exceeded quota'), nowMs: NOW });
  assert.deepEqual(failed.conditions, [
    { type: 'ReplicaFailure', status: 'True', lastTransitionTime: ago(0), reason: 'FailedCreate', message: 'pods "web-" is forbidden: exceeded quota' },
  ]);
  const tooMany = calculateStatus({ rs: rs({ replicas: 0 }), pods: [pod({ app: 'web' })], manageError: new Error('boom'), nowMs: NOW });
  assert.equal(tooMany.conditions?.[0]?.reason, 'FailedDelete');
  const kept = calculateStatus({ rs: rs({ conditions: true }), pods: [], manageError: new Error('again'), nowMs: NOW });
  assert.equal(kept.conditions?.[0]?.message, 'x', 'an existing failure condition is kept as is');
  const cleared = calculateStatus({ rs: rs({ conditions: true }), pods: [], nowMs: NOW });
  assert.equal(cleared.conditions, undefined);
});

test('statusUpToDate: equal counts and the generation observed', () => {
  const r = rs();
  assert.equal(statusUpToDate(r, { replicas: 0 }), false, 'generation 2 not observed');
  const observed = { ...r, status: { replicas: 0, observedGeneration: 2 } };
  assert.equal(statusUpToDate(observed, { replicas: 0, observedGeneration: 2 }), true);
  assert.equal(statusUpToDate(observed, { replicas: 1 }), false);
});

test('nextAvailableInMs: the wait until the next ready pod has been ready for minReadySeconds', () => {
  const full = { app: 'web', tier: 'fe' };
  assert.equal(nextAvailableInMs(rs(), [pod(full, 1)], NOW), undefined, 'no minReadySeconds');
  assert.equal(nextAvailableInMs(rs({ minReadySeconds: 60 }), [pod(full), pod(full, 100)], NOW), undefined, 'nothing waiting');
  assert.equal(nextAvailableInMs(rs({ minReadySeconds: 60 }), [pod(full, 10), pod(full, 50)], NOW), 10_001);
  assert.equal(nextAvailableInMs(rs({ minReadySeconds: 60 }), [pod(full, 60)], NOW), 1);
});
