// NodeResourcesLeastAllocated and NodeResourcesBalancedAllocation.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { snapshotOf } from '../cache.js';
import { makeNode, makePod, runScore } from '../testing.js';
import { balancedScore, newNodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.js';
import { leastRequestedScore, newNodeResourcesLeastAllocated } from './node-resources-least-allocated.js';

const handle = { cluster: {} };
const nodes = [makeNode('empty', { allocatable: { cpu: '4', memory: '4Gi', pods: '110' } }), makeNode('half', { allocatable: { cpu: '4', memory: '4Gi', pods: '110' } })];
const existing = [makePod('e', { nodeName: 'half', requests: { cpu: '2', memory: '1Gi' } })];

test('leastRequestedScore', () => {
  assert.equal(leastRequestedScore(0, 4000), 100);
  assert.equal(leastRequestedScore(1000, 4000), 75);
  assert.equal(leastRequestedScore(1, 3), 66);
  assert.equal(leastRequestedScore(5000, 4000), 0);
  assert.equal(leastRequestedScore(0, 0), 0);
});

test('NodeResourcesLeastAllocated prefers free nodes (cpu and memory weighted equally)', () => {
  const plugin = newNodeResourcesLeastAllocated(handle, undefined);
  const snapshot = snapshotOf(nodes, existing);
  // empty: cpu (4000-1000)/4000=75, memory (4Gi-1Gi)/4Gi=75 → 75
  // half:  cpu (4000-3000)/4000=25, memory (4Gi-2Gi)/4Gi=50 → 37
  assert.deepEqual(runScore(plugin, makePod('p', { requests: { cpu: '1', memory: '1Gi' } }), snapshot), { empty: 75, half: 37 });
  // Without requests the pod counts as 100m / 200Mi.
  const got = runScore(plugin, makePod('p'), snapshot) as Record<string, number>;
  assert.ok(got.empty! > got.half!);
  const cpuOnly = newNodeResourcesLeastAllocated(handle, { resources: [{ name: 'cpu', weight: 1 }] });
  assert.deepEqual(runScore(cpuOnly, makePod('p', { requests: { cpu: '1', memory: '1Gi' } }), snapshot), { empty: 75, half: 25 });
  assert.throws(() => newNodeResourcesLeastAllocated(handle, { resources: [{ name: 'cpu', weight: 0 }] }), /weight/);
});

test('balancedScore: 100 * (1 - std of the fractions)', () => {
  assert.equal(balancedScore([1, 1], [2, 2]), 100);
  assert.equal(balancedScore([2, 0], [2, 2]), 50);
  assert.equal(balancedScore([3, 1], [4, 4]), 75);
  assert.equal(balancedScore([1, 1, 1], [1, 2, 4]), 68); // fractions 1, .5, .25: std .312
  assert.equal(balancedScore([5, 1], [0, 4]), 100);
});

test('NodeResourcesBalancedAllocation prefers nodes whose cpu and memory use would be even', () => {
  const plugin = newNodeResourcesBalancedAllocation(handle, undefined);
  const snapshot = snapshotOf(nodes, existing);
  // empty: cpu 1/4, memory 1/4 → 100; half: cpu 3/4, memory 2/4 → 1 - 0.125 → 87
  assert.deepEqual(runScore(plugin, makePod('p', { requests: { cpu: '1', memory: '1Gi' } }), snapshot), { empty: 100, half: 87 });
  assert.equal(runScore(plugin, makePod('p'), snapshot), 'skip', 'best-effort pods are not scored');
  const three = newNodeResourcesBalancedAllocation(handle, { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'ephemeral-storage', weight: 1 }] });
  assert.deepEqual(runScore(three, makePod('p', { requests: { cpu: '1', memory: '1Gi' } }), snapshot), { empty: 100, half: 87 }, 'a resource without allocatable is left out');
});

test('cpu and memory (the default) score as the general per-resource route does', () => {
  // An extended resource the pod does not request is left out of both scores, so adding one
  // gives the same scores through the general route: the two must agree on every node.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const cpus = ['0', '1', '4', '32'];
  const mems = ['0', '1Gi', '4Gi', '256Gi'];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const many = Array.from({ length: 40 }, (_, i) => makeNode(`n${i}`, { allocatable: { cpu: pick(cpus), memory: pick(mems), pods: '110' } }));
  const pods = Array.from({ length: 60 }, (_, i) =>
    makePod(`e${i}`, { nodeName: `n${i % 40}`, requests: random() < 0.2 ? {} : { cpu: pick(['100m', '1', '3']), memory: pick(['128Mi', '1Gi', '3Gi']) } }),
  );
  const snapshot = snapshotOf(many, pods);
  const weighted = [
    { name: 'cpu', weight: 3 },
    { name: 'memory', weight: 1 },
  ];
  const general = [...weighted, { name: 'example.com/foo', weight: 5 }];
  for (const requests of [{}, { cpu: '500m' }, { memory: '2Gi' }, { cpu: '2', memory: '300Gi' }] as Record<string, string>[]) {
    const pod = makePod('p', { requests });
    for (const [fast, slow] of [
      [newNodeResourcesLeastAllocated(handle, { resources: weighted }), newNodeResourcesLeastAllocated(handle, { resources: general })],
      [newNodeResourcesLeastAllocated(handle, undefined), newNodeResourcesLeastAllocated(handle, { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'example.com/foo', weight: 1 }] })],
      [newNodeResourcesBalancedAllocation(handle, undefined), newNodeResourcesBalancedAllocation(handle, { resources: general })],
    ] as const) {
      assert.deepEqual(runScore(fast, pod, snapshot), runScore(slow, pod, snapshot), `${fast.name} ${JSON.stringify(requests)}`);
    }
  }
});
