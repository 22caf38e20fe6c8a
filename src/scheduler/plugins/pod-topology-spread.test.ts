import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { selectorFromSet } from '../../api/labels.js';
import { SchedulerCache, snapshotOf } from '../cache.js';
import { filterReasons, makeNode, makePod, runFilter, runScore } from '../testing.js';
import { ERR_REASON_CONSTRAINTS_NOT_MATCH as SKEW, ERR_REASON_NODE_LABEL_NOT_MATCH as NO_LABEL, newPodTopologySpread } from './pod-topology-spread.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const nodes = [
  makeNode('a1', { labels: { [ZONE]: 'a' } }),
  makeNode('a2', { labels: { [ZONE]: 'a' } }),
  makeNode('b1', { labels: { [ZONE]: 'b' } }),
  makeNode('x'),
];
const web = { app: 'web' };
const existing = [
  makePod('w1', { nodeName: 'a1', labels: web }),
  makePod('w2', { nodeName: 'a1', labels: web }),
  makePod('w3', { nodeName: 'b1', labels: web }),
  makePod('gone', { nodeName: 'b1', labels: web, deletionTimestamp: '2024-01-01T00:00:00Z' }),
  makePod('elsewhere', { nodeName: 'b1', labels: web, namespace: 'other' }),
  makePod('db', { nodeName: 'a2', labels: { app: 'db' } }),
];
const snapshot = snapshotOf(nodes, existing);
const plugin = newPodTopologySpread({ cluster: {} }, undefined);

const constraint = (topologyKey: string, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: web },
  ...extra,
});

test('PodTopologySpread Filter: skew against the emptiest eligible domain', () => {
  const cases: [string, Pod, Record<string, string[]>][] = [
    ['no constraints', makePod('p', { labels: web }), { a1: [], a2: [], b1: [], x: [] }],
    ['zone, maxSkew 1 (a has 2, b has 1)', makePod('p', { labels: web, topologySpreadConstraints: [constraint(ZONE)] }), { a1: [SKEW], a2: [SKEW], b1: [], x: [NO_LABEL] }],
    ['zone, maxSkew 2', makePod('p', { labels: web, topologySpreadConstraints: [constraint(ZONE, { maxSkew: 2 })] }), { a1: [], a2: [], b1: [], x: [NO_LABEL] }],
    ['hostname (a1 2, a2 0, b1 1, x 0)', makePod('p', { labels: web, topologySpreadConstraints: [constraint(HOST)] }), { a1: [SKEW], a2: [], b1: [SKEW], x: [] }],
    ['the pod does not match its own selector', makePod('p', { labels: { app: 'db' }, topologySpreadConstraints: [constraint(ZONE)] }), { a1: [], a2: [], b1: [], x: [NO_LABEL] }],
    [
      'minDomains above the number of domains makes the global minimum 0',
      makePod('p', { labels: web, topologySpreadConstraints: [constraint(ZONE, { minDomains: 3, maxSkew: 2 })] }),
      { a1: [SKEW], a2: [SKEW], b1: [], x: [NO_LABEL] },
    ],
    [
      'matchLabelKeys narrows the selector with the pod label',
      makePod('p', { labels: { ...web, rev: '2' }, topologySpreadConstraints: [constraint(ZONE, { matchLabelKeys: ['rev'] })] }),
      { a1: [], a2: [], b1: [], x: [NO_LABEL] },
    ],
    ['ScheduleAnyway does not filter', makePod('p', { labels: web, topologySpreadConstraints: [constraint(ZONE, { whenUnsatisfiable: 'ScheduleAnyway' })] }), { a1: [], a2: [], b1: [], x: [] }],
  ];
  for (const [name, pod, want] of cases) assert.deepEqual(filterReasons(plugin, pod, snapshot), want, name);
});

test('PodTopologySpread Filter: nodeAffinityPolicy decides which domains count', () => {
  const honor = makePod('p', { labels: web, nodeSelector: { [ZONE]: 'a' }, topologySpreadConstraints: [constraint(ZONE)] });
  // Only zone a is eligible: min 2, so 2+1-2 = 1 fits.
  assert.deepEqual(filterReasons(plugin, honor, snapshot).a1, []);
  const ignore = makePod('p', { labels: web, nodeSelector: { [ZONE]: 'a' }, topologySpreadConstraints: [constraint(ZONE, { nodeAffinityPolicy: 'Ignore' })] });
  assert.deepEqual(filterReasons(plugin, ignore, snapshot).a1, [SKEW]);
});

test('PodTopologySpread Filter: codes', () => {
  const statuses = runFilter(plugin, makePod('p', { labels: web, topologySpreadConstraints: [constraint(ZONE)] }), snapshot);
  assert.equal(statuses.get('a1')?.code, 'Unschedulable');
  assert.equal(statuses.get('x')?.code, 'UnschedulableAndUnresolvable');
});

test('PodTopologySpread Filter: counts follow pods added and removed (incremental domain counts)', () => {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.setNode(n);
  for (const p of existing) cache.setPod(p);
  const pod = makePod('p', { labels: web, topologySpreadConstraints: [constraint(ZONE)] });
  assert.deepEqual(filterReasons(plugin, pod, cache.snapshot).b1, []);
  const extra = makePod('w4', { nodeName: 'b1', labels: web });
  cache.setPod(extra);
  // a 2, b 2: every zone fits.
  assert.deepEqual(filterReasons(plugin, pod, cache.snapshot), { a1: [], a2: [], b1: [], x: [NO_LABEL] });
  cache.setPod(makePod('w5', { nodeName: 'b1', labels: web }));
  assert.deepEqual(filterReasons(plugin, pod, cache.snapshot), { a1: [], a2: [], b1: [SKEW], x: [NO_LABEL] });
  cache.removePod(extra);
  cache.removePod(existing[0]!);
  // a 1, b 2
  assert.deepEqual(filterReasons(plugin, pod, cache.snapshot), { a1: [], a2: [], b1: [SKEW], x: [NO_LABEL] });
});

test('PodTopologySpread Score: fewer matching pods in the domain score higher', () => {
  const soft = makePod('p', { labels: web, topologySpreadConstraints: [constraint(HOST, { whenUnsatisfiable: 'ScheduleAnyway' })] });
  // counts a1 2, a2 0, b1 1, x 0; weight ln(4+2); raw round(2*1.79)=4, round(1.79)=2
  assert.deepEqual(runScore(plugin, soft, snapshot), { a1: 0, a2: 100, b1: 50, x: 100 });
  const zone = makePod('p', { labels: web, topologySpreadConstraints: [constraint(ZONE, { whenUnsatisfiable: 'ScheduleAnyway' })] });
  // x lacks the key: ignored (0); zone a 2, zone b 1 → weight ln(2+2): a round(2.77)=3, b round(1.39)=1
  assert.deepEqual(runScore(plugin, zone, snapshot), { a1: 33, a2: 33, b1: 100, x: 0 });
});

test('PodTopologySpread Score: system defaults spread a ReplicaSet\'s pods, and only them', () => {
  const owner = (uid: string) => [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true }];
  const pods = [
    makePod('r1', { nodeName: 'a1', ownerReferences: owner('rs-1') }),
    makePod('r2', { nodeName: 'a1', ownerReferences: owner('rs-1') }),
    makePod('o1', { nodeName: 'a2', ownerReferences: owner('rs-2') }),
    makePod('o2', { nodeName: 'a2', ownerReferences: owner('rs-2') }),
  ];
  const s = snapshotOf(nodes, pods);
  const scores = runScore(plugin, makePod('new', { ownerReferences: owner('rs-1') }), s) as Record<string, number>;
  assert.ok(scores.a1! < scores.a2!, `a1 holds the ReplicaSet's pods: ${JSON.stringify(scores)}`);
  assert.ok(scores.a2! <= scores.b1!, `zone a holds them too: ${JSON.stringify(scores)}`);
  assert.ok(scores.x! > 0, 'nodes without a zone still get hostname spreading');
  assert.equal(runScore(plugin, makePod('bare'), s), 'skip', 'a pod without a controller is not spread by default');
  const listed = newPodTopologySpread({ cluster: {} }, { defaultingType: 'List', defaultConstraints: [] });
  assert.equal(runScore(listed, makePod('new', { ownerReferences: owner('rs-1') }), s), 'skip');
});

test("PodTopologySpread Score: the owner fallback counts the controller's live pods of the namespace only, as pods come and go (the snapshot's index)", () => {
  const owner = (uid: string) => [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true }];
  const r1 = makePod('r1', { nodeName: 'a1', ownerReferences: owner('rs-1') });
  const r2 = makePod('r2', { nodeName: 'a1', ownerReferences: owner('rs-1') });
  const r3 = makePod('r3', { nodeName: 'b1', ownerReferences: owner('rs-1') });
  const terminating = makePod('r4', { nodeName: 'a2', ownerReferences: owner('rs-1'), deletionTimestamp: '2024-01-01T00:00:00Z' });
  const otherNamespace = makePod('r5', { nodeName: 'x', namespace: 'other', ownerReferences: owner('rs-1') });
  const newPod = makePod('new', { ownerReferences: owner('rs-1') });
  const cache = new SchedulerCache();
  for (const n of nodes) cache.setNode(n);
  for (const p of [r1, r2, r3, terminating, otherNamespace]) cache.setPod(p);
  // the same scores as a cluster holding only the pods that count
  const expected = (...pods: Pod[]) => runScore(plugin, newPod, snapshotOf(nodes, pods));
  assert.deepEqual(runScore(plugin, newPod, cache.snapshot), expected(r1, r2, r3));
  const revived = { ...terminating, metadata: { ...terminating.metadata, deletionTimestamp: undefined } };
  assert.notDeepEqual(expected(r1, r2, r3), expected(r1, r2, r3, revived), 'the terminating pod would change the scores');
  cache.removePod(r1);
  cache.setPod({ ...r3, metadata: { ...r3.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } });
  assert.deepEqual(runScore(plugin, newPod, cache.snapshot), expected(r2));
  cache.setPod(revived);
  assert.deepEqual(runScore(plugin, newPod, cache.snapshot), expected(r2, revived));
});

test('PodTopologySpread Score: a ClusterSource selector replaces the owner fallback', () => {
  const s = snapshotOf(nodes, existing);
  const withSource = newPodTopologySpread({ cluster: { defaultSpreadSelector: () => selectorFromSet(web) } }, undefined);
  const scores = runScore(withSource, makePod('p', { labels: web }), s) as Record<string, number>;
  assert.ok(scores.a1! < scores.a2!, JSON.stringify(scores));
  assert.throws(() => newPodTopologySpread({ cluster: {} }, { defaultingType: 'System', defaultConstraints: [constraint(ZONE)] }), /defaultConstraints/);
});
