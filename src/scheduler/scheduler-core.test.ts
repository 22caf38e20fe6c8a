import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { snapshotOf } from './cache.js';
import type { CycleState, FilterPlugin, PluginFactory, ScorePlugin } from './framework.js';
import { SUCCESS, errorStatus } from './framework.js';
import type { NodeInfo } from './node-info.js';
import { podInfoOf } from './pod-info.js';
import type { PodInfo } from './pod-info.js';
import { newProfile } from './profile.js';
import type { ProfileConfig } from './profile.js';
import { IN_TREE_REGISTRY } from './plugins/registry.js';
import { ERR_NO_NODES_AVAILABLE, numFeasibleNodesToFind, schedulePod, selectHost } from './scheduler-core.js';
import type { ScheduleResult } from './scheduler-core.js';
import { makeNode, makePod } from './testing.js';

function schedule(pod: Pod, nodes: Node[], pods: Pod[] = [], config: ProfileConfig = {}, random = () => 0): ScheduleResult {
  return schedulePod(podInfoOf(pod), snapshotOf(nodes, pods), newProfile(config, { random }));
}

function message(r: ScheduleResult): string {
  assert.ok('failure' in r, `expected a failure, got ${JSON.stringify(r)}`);
  return r.failure.message;
}

const small = (name: string, extra: Parameters<typeof makeNode>[1] = {}) => makeNode(name, { allocatable: { cpu: '1', memory: '1Gi', pods: '10' }, ...extra });

test('failure messages use Kubernetes wording, reasons counted and sorted as strings', () => {
  const nodes = [small('n1'), small('n2'), small('n3')];
  assert.equal(message(schedule(makePod('p', { requests: { cpu: '2' } }), nodes)), '0/3 nodes are available: 3 Insufficient cpu.');
  const mixed = [small('n1', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }), small('n2'), small('n3')];
  assert.equal(
    message(schedule(makePod('p', { requests: { memory: '2Gi' } }), mixed)),
    '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient memory.',
  );
  assert.equal(
    message(schedule(makePod('p', { requests: { cpu: '2', memory: '2Gi' } }), nodes)),
    '0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory.',
    'one node can give several reasons',
  );
  const many = Array.from({ length: 12 }, (_, i) => (i < 10 ? small(`big-${i}`) : small(`cordoned-${i}`, { unschedulable: true })));
  assert.equal(
    message(schedule(makePod('p', { requests: { cpu: '2' } }), many)),
    '0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable.',
    '"10 ..." sorts before "2 ..." as Go sorts strings',
  );
  assert.equal(message(schedule(makePod('p'), [])), ERR_NO_NODES_AVAILABLE);
});

test('failure messages for PreFilter rejections and PreFilter-narrowed nodes', () => {
  const nodes = [small('n1'), small('n2'), small('n3')];
  const byName = (...names: string[][]) =>
    makePod('p', {
      requests: { cpu: '2' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: names.map((term) => ({ matchFields: term.map((n) => ({ key: 'metadata.name', operator: 'In', values: [n] })) })),
          },
        },
      },
    });
  assert.equal(message(schedule(byName(['n1', 'n2']), nodes)), '0/3 nodes are available: pod affinity terms conflict.');
  assert.equal(message(schedule(byName(['n1']), nodes)), "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  assert.equal(message(schedule(byName(['nope']), nodes)), "0/3 nodes are available: 3 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  const r = schedule(byName(['n1']), nodes);
  assert.ok('failure' in r);
  assert.deepEqual([...r.failure.diagnosis.unschedulablePlugins].sort(), ['NodeAffinity', 'NodeResourcesFit']);
});

test('success: the best total score wins; ties are broken by the injected random source', () => {
  const nodes = [makeNode('a'), makeNode('b'), makeNode('c')];
  const busy = [makePod('x', { nodeName: 'a', requests: { cpu: '3', memory: '6Gi' } }), makePod('y', { nodeName: 'c', requests: { cpu: '3', memory: '6Gi' } })];
  const r = schedule(makePod('p', { requests: { cpu: '100m', memory: '128Mi' } }), nodes, busy);
  assert.ok('node' in r);
  assert.equal(r.node, 'b');
  const first = schedule(makePod('p'), nodes, [], {}, () => 0);
  const last = schedule(makePod('p'), nodes, [], {}, () => 0.999);
  assert.ok('node' in first && 'node' in last);
  assert.notEqual(first.node, last.node);
});

test('numFeasibleNodesToFind: all below 100 nodes, adaptive 50% down to 5% above, at least 100', () => {
  const cases: [number, number, number][] = [
    [0, 50, 50],
    [0, 100, 100],
    [0, 1000, 420],
    [0, 5000, 500],
    [0, 10000, 500],
    [10, 1000, 100],
    [30, 1000, 300],
    [100, 1000, 1000],
  ];
  for (const [pct, n, want] of cases) assert.equal(numFeasibleNodesToFind(pct, n), want, `${pct}% of ${n}`);
});

test('large clusters: the search stops early and the next search starts where it stopped', () => {
  const nodes = Array.from({ length: 400 }, (_, i) => makeNode(`n${i}`));
  const snapshot = snapshotOf(nodes);
  const profile = newProfile({ percentageOfNodesToScore: 30 }, { random: () => 0 });
  const r = schedulePod(podInfoOf(makePod('p')), snapshot, profile);
  assert.ok('node' in r);
  assert.equal(r.evaluatedNodes, 120);
  assert.equal(profile.nextStartNodeIndex, 120);
  schedulePod(podInfoOf(makePod('q')), snapshot, profile);
  assert.equal(profile.nextStartNodeIndex, 240);
});

test('scores are weighted and summed; plugin errors become { error }', () => {
  const prefer = (name: string, node: string): PluginFactory => () =>
    ({
      name,
      score: (_s: CycleState, _p: PodInfo, n: NodeInfo) => (n.name === node ? 100 : 0),
    }) satisfies ScorePlugin;
  const failing: PluginFactory = () =>
    ({
      name: 'Failing',
      filter: (_s: CycleState, _p: PodInfo, n: NodeInfo) => (n.name === 'b' ? errorStatus(new Error('disk on fire')) : SUCCESS),
    }) satisfies FilterPlugin;
  const registry = new Map([...IN_TREE_REGISTRY, ['PreferA', prefer('PreferA', 'a')], ['PreferB', prefer('PreferB', 'b')], ['Failing', failing]]);
  const nodes = [makeNode('a'), makeNode('b')];
  const run = (plugins: ProfileConfig['plugins']) => schedulePod(podInfoOf(makePod('p')), snapshotOf(nodes), newProfile({ plugins }, { registry, random: () => 0 }));
  const heavyB = run([{ name: 'PreferA', weight: 1 }, { name: 'PreferB', weight: 2 }]);
  assert.ok('node' in heavyB && heavyB.node === 'b');
  const heavyA = run([{ name: 'PreferA', weight: 3 }, { name: 'PreferB', weight: 2 }]);
  assert.ok('node' in heavyA && heavyA.node === 'a');
  const broken = run([{ name: 'Failing' }]);
  assert.ok('error' in broken && broken.error.message === 'disk on fire');
  assert.throws(() => newProfile({ plugins: [{ name: 'Nope' }] }), /plugin "Nope" does not exist/);
});

test('selectHost is uniform over ties', () => {
  const totals = Float64Array.from([5, 9, 9, 1, 9]);
  assert.equal(selectHost(totals, () => 0), 1);
  assert.equal(selectHost(totals, () => 0.5), 2);
  assert.equal(selectHost(totals, () => 0.99), 4);
  assert.equal(selectHost(Float64Array.from([3]), () => 0.7), 0);
});

test('the default profile spreads pods over nodes', () => {
  const nodes = Array.from({ length: 5 }, (_, i) => makeNode(`n${i}`));
  const snapshot = snapshotOf(nodes);
  const profile = newProfile({}, { random: () => 0 });
  const counts = new Map<string, number>();
  // Assume each pod on its node through a cache-backed snapshot.
  const cacheNodes = snapshot;
  for (let i = 0; i < 20; i++) {
    const info = podInfoOf(makePod(`p${i}`, { requests: { cpu: '100m', memory: '100Mi' } }));
    const r = schedulePod(info, cacheNodes, profile);
    assert.ok('node' in r);
    cacheNodes.addPod(info, r.node);
    counts.set(r.node, (counts.get(r.node) ?? 0) + 1);
  }
  assert.deepEqual([...counts.values()], [4, 4, 4, 4, 4]);
});
