import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { snapshotOf } from '../cache.js';
import { filterReasons, makeNode, makePod, runFilter, runScore } from '../testing.js';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH as AFF,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH as ANTI,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH as EXISTING,
  newInterPodAffinity,
} from './inter-pod-affinity.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const term = (app: string, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: { app } }, topologyKey, ...extra });
const nodes = [makeNode('n1', { labels: { [ZONE]: 'a' } }), makeNode('n2', { labels: { [ZONE]: 'a' } }), makeNode('n3', { labels: { [ZONE]: 'b' } }), makeNode('bare')];
const plugin = newInterPodAffinity({ cluster: {} }, undefined);

test('InterPodAffinity Filter: required affinity and anti-affinity of the incoming pod', () => {
  const snapshot = snapshotOf(nodes, [makePod('db', { nodeName: 'n1', labels: { app: 'db' } })]);
  const cases: [string, Pod, Record<string, string[]>][] = [
    ['no affinity', makePod('p'), { n1: [], n2: [], n3: [], bare: [] }],
    ['affinity to db by zone', makePod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE)] } } }), { n1: [], n2: [], n3: [AFF], bare: [AFF] }],
    ['affinity to db by host', makePod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', HOST)] } } }), { n1: [], n2: [AFF], n3: [AFF], bare: [AFF] }],
    [
      'affinity to a group nobody runs yet, matching itself: the first pod goes anywhere with the key',
      makePod('p', { labels: { app: 'cache' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('cache', ZONE)] } } }),
      { n1: [], n2: [], n3: [], bare: [AFF] },
    ],
    [
      'affinity to a group nobody runs, not matching itself',
      makePod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('cache', ZONE)] } } }),
      { n1: [AFF], n2: [AFF], n3: [AFF], bare: [AFF] },
    ],
    ['anti-affinity to db by host', makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', HOST)] } } }), { n1: [ANTI], n2: [], n3: [], bare: [] }],
    ['anti-affinity to db by zone', makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE)] } } }), { n1: [ANTI], n2: [ANTI], n3: [], bare: [] }],
    [
      'a term in another namespace does not see db',
      makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE, { namespaces: ['other'] })] } } }),
      { n1: [], n2: [], n3: [], bare: [] },
    ],
    [
      'namespaceSelector {} selects every namespace',
      makePod('p', { namespace: 'other', affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE, { namespaceSelector: {} })] } } }),
      { n1: [ANTI], n2: [ANTI], n3: [], bare: [] },
    ],
  ];
  for (const [name, pod, want] of cases) assert.deepEqual(filterReasons(plugin, pod, snapshot), want, name);
  const codes = runFilter(plugin, makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', HOST)] } } }), snapshot);
  assert.equal(codes.get('n1')?.code, 'Unschedulable');
});

test("InterPodAffinity Filter: existing pods' required anti-affinity keeps matching pods out of their domain", () => {
  const guard = makePod('guard', { nodeName: 'n3', labels: { app: 'guard' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', ZONE)] } } });
  const snapshot = snapshotOf(nodes, [guard]);
  assert.deepEqual(filterReasons(plugin, makePod('p', { labels: { app: 'web' } }), snapshot), { n1: [], n2: [], n3: [EXISTING], bare: [] });
  assert.deepEqual(filterReasons(plugin, makePod('p', { labels: { app: 'api' } }), snapshot), { n1: [], n2: [], n3: [], bare: [] });
});

test('InterPodAffinity Filter: a pod added to the cluster is seen by the next cycle', () => {
  const snapshot = snapshotOf(nodes, []);
  const pod = makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE)] } } });
  assert.deepEqual(filterReasons(plugin, pod, snapshot), { n1: [], n2: [], n3: [], bare: [] });
  const withDb = snapshotOf(nodes, [makePod('db', { nodeName: 'n3', labels: { app: 'db' } })]);
  assert.deepEqual(filterReasons(plugin, pod, withDb), { n1: [], n2: [], n3: [ANTI], bare: [] });
});

test('InterPodAffinity Score: preferred terms of the incoming pod', () => {
  const snapshot = snapshotOf(nodes, [makePod('db', { nodeName: 'n1', labels: { app: 'db' } }), makePod('db2', { nodeName: 'n3', labels: { app: 'db' } }), makePod('db3', { nodeName: 'n3', labels: { app: 'db' } })]);
  const near = makePod('p', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db', ZONE) }] } } });
  // zone a: 1 db → 10, zone b: 2 db → 20, bare: 0
  assert.deepEqual(runScore(plugin, near, snapshot), { n1: 50, n2: 50, n3: 100, bare: 0 });
  const far = makePod('p', { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db', ZONE) }] } } });
  assert.deepEqual(runScore(plugin, far, snapshot), { n1: 50, n2: 50, n3: 0, bare: 100 });
  assert.equal(runScore(plugin, makePod('p'), snapshot), 'skip');
});

test("InterPodAffinity Score: existing pods' terms that select the incoming pod", () => {
  const lover = makePod('lover', { nodeName: 'n3', affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', ZONE)] } } });
  const hater = makePod('hater', { nodeName: 'n1', affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term('web', HOST) }] } } });
  const snapshot = snapshotOf(nodes, [lover, hater]);
  // zone b +1 (hard affinity weight 1); n1 -5
  assert.deepEqual(runScore(plugin, makePod('p', { labels: { app: 'web' } }), snapshot), { n1: 0, n2: 83, n3: 100, bare: 83 });
  const noHard = newInterPodAffinity({ cluster: {} }, { hardPodAffinityWeight: 0 });
  assert.deepEqual(runScore(noHard, makePod('p', { labels: { app: 'web' } }), snapshot), { n1: 0, n2: 100, n3: 100, bare: 100 });
  assert.throws(() => newInterPodAffinity({ cluster: {} }, { hardPodAffinityWeight: 101 }), /hardPodAffinityWeight/);
});

test('InterPodAffinity: namespaceSelector terms use ClusterSource.namespaceLabels', () => {
  const labelled = newInterPodAffinity({ cluster: { namespaceLabels: (ns): Record<string, string> => (ns === 'prod' ? { env: 'prod' } : {}) } }, undefined);
  const snapshot = snapshotOf(nodes, [makePod('db', { nodeName: 'n1', namespace: 'prod', labels: { app: 'db' } }), makePod('db', { nodeName: 'n3', namespace: 'dev', labels: { app: 'db' } })]);
  const pod = makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', HOST, { namespaceSelector: { matchLabels: { env: 'prod' } } })] } } });
  assert.deepEqual(filterReasons(labelled, pod, snapshot), { n1: [ANTI], n2: [], n3: [], bare: [] });
});
