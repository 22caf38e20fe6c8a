import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from './objects.js';
import { comparePodsForDeletion, podDeletionCost, podsToDelete } from './pod-ranking.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

interface PodSpec {
  name: string;
  node?: string;
  phase?: string;
  ready?: boolean;
  readySince?: number;
  restarts?: number;
  created?: number;
  cost?: string;
}

function pod(p: PodSpec): Pod {
  return {
    metadata: {
      name: p.name,
      uid: `uid-${p.name}`,
      creationTimestamp: ago(p.created ?? 1000),
      ...(p.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': p.cost } } : {}),
    },
    spec: { containers: [{ name: 'c' }], ...(p.node ? { nodeName: p.node } : {}) },
    status: {
      phase: p.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True', lastTransitionTime: ago(p.readySince ?? 500) }],
      containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: p.ready !== false, restartCount: p.restarts ?? 0 }],
    },
  };
}

test('comparePodsForDeletion: the first rule that tells two pods apart decides (a is deleted first)', () => {
  const cases: { why: string; a: PodSpec; b: PodSpec; rankA?: number; rankB?: number }[] = [
    { why: 'unassigned before assigned', a: { name: 'a' }, b: { name: 'b', node: 'n1' } },
    { why: 'unassigned before assigned, even if older and ready', a: { name: 'a', created: 9000 }, b: { name: 'b', node: 'n1', ready: false } },
    { why: 'Pending before Running', a: { name: 'a', node: 'n', phase: 'Pending' }, b: { name: 'b', node: 'n' } },
    { why: 'Pending before Unknown', a: { name: 'a', node: 'n', phase: 'Pending' }, b: { name: 'b', node: 'n', phase: 'Unknown' } },
    { why: 'Unknown before Running', a: { name: 'a', node: 'n', phase: 'Unknown' }, b: { name: 'b', node: 'n' } },
    { why: 'not ready before ready', a: { name: 'a', node: 'n', ready: false, created: 9000 }, b: { name: 'b', node: 'n', created: 10 } },
    { why: 'lower deletion cost first', a: { name: 'a', node: 'n', cost: '-5', created: 9000 }, b: { name: 'b', node: 'n', created: 10 } },
    { why: 'doubled up before alone', a: { name: 'a', node: 'n1', created: 9000 }, b: { name: 'b', node: 'n2', created: 10 }, rankA: 3, rankB: 1 },
    { why: 'ready more recently first', a: { name: 'a', node: 'n', readySince: 10 }, b: { name: 'b', node: 'n', readySince: 5000 } },
    { why: 'more restarts first', a: { name: 'a', node: 'n', restarts: 4, created: 9000 }, b: { name: 'b', node: 'n', restarts: 1, created: 10 } },
    { why: 'newer first', a: { name: 'a', node: 'n', created: 60 }, b: { name: 'b', node: 'n', created: 3600 } },
    { why: 'same log2 age bucket: by uid', a: { name: 'a', node: 'n', created: 1000 }, b: { name: 'b', node: 'n', created: 1001 } },
  ];
  for (const c of cases) {
    const a = pod(c.a);
    const b = pod(c.b);
    assert.ok(comparePodsForDeletion(a, b, c.rankA ?? 0, c.rankB ?? 0, NOW) < 0, c.why);
    assert.ok(comparePodsForDeletion(b, a, c.rankB ?? 0, c.rankA ?? 0, NOW) > 0, `${c.why} (reversed)`);
  }
  assert.equal(comparePodsForDeletion(pod({ name: 'a' }), pod({ name: 'a' }), 0, 0, NOW), 0);
});

test('podDeletionCost reads the annotation as an int32, 0 otherwise', () => {
  const cases: [string | undefined, number][] = [[undefined, 0], ['10', 10], ['-3', -3], ['x', 0], ['1.5', 0], ['4294967296', 0]];
  for (const [v, want] of cases) assert.equal(podDeletionCost(pod({ name: 'p', ...(v !== undefined ? { cost: v } : {}) })), want, String(v));
});

test('podsToDelete picks the least valuable pods and ranks by related pods per node', () => {
  const pods = [
    pod({ name: 'running-old', node: 'n1', created: 7200 }),
    pod({ name: 'pending', node: 'n1', phase: 'Pending', ready: false }),
    pod({ name: 'unassigned', phase: 'Pending', ready: false }),
    pod({ name: 'running-crowded', node: 'n2', created: 7200 }),
  ];
  const related = [...pods, pod({ name: 'sibling-1', node: 'n2' }), pod({ name: 'sibling-2', node: 'n2' })];
  assert.deepEqual(podsToDelete(pods, related, 3, NOW).map((p) => p.metadata?.name), ['unassigned', 'pending', 'running-crowded']);
  assert.equal(podsToDelete(pods, related, 9, NOW).length, 4);
});
