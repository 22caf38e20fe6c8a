import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SchedulerCache } from './cache.js';
import { podInfoOf } from './pod-info.js';
import { makeNode, makePod } from './testing.js';

const req = { cpu: '500m', memory: '1Gi' };

test('bound pods are counted on their node; removal and terminal phases free them', () => {
  const cache = new SchedulerCache();
  cache.setNode(makeNode('n1'));
  const a = makePod('a', { nodeName: 'n1', requests: req, hostPorts: [{ hostPort: 8080 }] });
  cache.setPod(a);
  cache.setPod(makePod('b', { nodeName: 'n1', requests: req }));
  const n1 = cache.snapshot.get('n1')!;
  assert.equal(n1.pods.size, 2);
  assert.equal(n1.requested.milliCPU, 1000);
  assert.equal(n1.requested.memory, 2 * 2 ** 30);
  assert.equal(n1.usedPorts.conflicts('0.0.0.0', 'TCP', 8080), true);
  cache.removePod(a);
  assert.equal(n1.requested.milliCPU, 500);
  assert.equal(n1.usedPorts.conflicts('0.0.0.0', 'TCP', 8080), false);
  cache.setPod(makePod('b', { nodeName: 'n1', requests: req, phase: 'Succeeded' }));
  assert.equal(n1.pods.size, 0);
  assert.equal(n1.requested.milliCPU, 0);
  assert.equal(cache.podCount, 0);
});

test('assumed pods count at once, are confirmed by the informer, and forgotten when binding fails', () => {
  const cache = new SchedulerCache();
  cache.setNode(makeNode('n1'));
  cache.setNode(makeNode('n2'));
  const pending = makePod('p', { requests: req });
  const info = podInfoOf(pending);
  cache.assumePod(info, 'n1');
  assert.equal(cache.isAssumed(info.key), true);
  assert.equal(cache.snapshot.get('n1')!.requested.milliCPU, 500);
  assert.throws(() => cache.assumePod(info, 'n2'), /in the cache/);
  cache.forgetPod(info.key);
  assert.equal(cache.snapshot.get('n1')!.requested.milliCPU, 0);
  assert.equal(cache.nodeOf(info.key), undefined);

  cache.assumePod(info, 'n1');
  cache.finishBinding(info.key);
  cache.setPod({ ...pending, spec: { ...pending.spec!, nodeName: 'n1' } });
  assert.equal(cache.isAssumed(info.key), false);
  cache.forgetPod(info.key);
  assert.equal(cache.snapshot.get('n1')!.pods.size, 1, 'a confirmed pod is not forgotten');

  // The API bound it elsewhere: the informer's word wins.
  cache.setPod({ ...pending, spec: { ...pending.spec!, nodeName: 'n2' } });
  assert.equal(cache.snapshot.get('n1')!.pods.size, 0);
  assert.equal(cache.snapshot.get('n2')!.requested.milliCPU, 500);
});

test('pods may arrive before their node; deleted nodes leave the list', () => {
  const cache = new SchedulerCache();
  cache.setPod(makePod('early', { nodeName: 'late', requests: req }));
  assert.equal(cache.snapshot.numNodes, 0);
  cache.setNode(makeNode('late'));
  assert.equal(cache.snapshot.get('late')!.requested.milliCPU, 500);
  cache.removeNode('late');
  assert.equal(cache.snapshot.numNodes, 0);
  assert.equal(cache.snapshot.get('late'), undefined);
  cache.setNode(makeNode('late'));
  assert.equal(cache.snapshot.get('late')!.pods.size, 1, 'pods survive their node being re-created');
});

test('nodes are listed round-robin across zones', () => {
  const cache = new SchedulerCache();
  const zone = (z: string) => ({ labels: { 'topology.kubernetes.io/zone': z } });
  for (const [n, z] of [['a1', 'a'], ['a2', 'a'], ['a3', 'a'], ['b1', 'b'], ['c1', 'c'], ['c2', 'c']] as const) cache.setNode(makeNode(n, zone(z)));
  assert.deepEqual(cache.snapshot.nodes.map((n) => n.name), ['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
  cache.setNode(makeNode('a1', zone('b')));
  assert.deepEqual(cache.snapshot.nodes.map((n) => n.name), ['a2', 'b1', 'c1', 'a3', 'a1', 'c2']);
});

test('snapshot indexes: pods with affinity, image spread, node updates', () => {
  const cache = new SchedulerCache();
  const image = { names: ['app:1'], sizeBytes: 10 };
  cache.setNode(makeNode('n1', { images: [image] }));
  cache.setNode(makeNode('n2', { images: [image] }));
  assert.equal(cache.snapshot.imageNumNodes('app:1'), 2);
  cache.setNode(makeNode('n2'));
  assert.equal(cache.snapshot.imageNumNodes('app:1'), 1);
  assert.equal(cache.snapshot.nodesWithAffinityPods().length, 0);
  const anti = makePod('anti', {
    nodeName: 'n2',
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { a: 'b' } } }] } },
  });
  cache.setPod(anti);
  assert.deepEqual(cache.snapshot.nodesWithAffinityPods().map((n) => n.name), ['n2']);
  assert.deepEqual(cache.snapshot.nodesWithRequiredAntiAffinityPods().map((n) => n.name), ['n2']);
  cache.removePod(anti);
  assert.equal(cache.snapshot.nodesWithRequiredAntiAffinityPods().length, 0);
  cache.setNode(makeNode('n1', { taints: [{ key: 'k', effect: 'NoSchedule' }], allocatable: { cpu: '1', memory: '1Gi', pods: '5' } }));
  const n1 = cache.snapshot.get('n1')!;
  assert.equal(n1.taints.length, 1);
  assert.equal(n1.allocatable.milliCPU, 1000);
  assert.equal(n1.allowedPods, 5);
});

test('per-node counts are memoized until the node changes', () => {
  const cache = new SchedulerCache();
  cache.setNode(makeNode('n1'));
  cache.setPod(makePod('a', { nodeName: 'n1', labels: { app: 'x' } }));
  const n1 = cache.snapshot.get('n1')!;
  let calls = 0;
  const match = (p: { labels: Readonly<Record<string, string>> }) => {
    calls++;
    return p.labels.app === 'x';
  };
  assert.equal(n1.countPods('app=x', match), 1);
  assert.equal(n1.countPods('app=x', match), 1);
  assert.equal(calls, 1);
  cache.setPod(makePod('b', { nodeName: 'n1', labels: { app: 'x' } }));
  assert.equal(n1.countPods('app=x', match), 2);
});
