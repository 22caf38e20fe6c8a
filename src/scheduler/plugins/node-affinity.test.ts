import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Affinity, Pod } from 'kubernetes-types/core/v1.js';
import { snapshotOf } from '../cache.js';
import { CycleState, PreFilterResult, SKIP, isPreFilterPlugin } from '../framework.js';
import { podInfoOf } from '../pod-info.js';
import { filterReasons, makeNode, makePod, runScore } from '../testing.js';
import { ERR_REASON_CONFLICT, ERR_REASON_POD, newNodeAffinity } from './node-affinity.js';

const plugin = newNodeAffinity({ cluster: {} }, undefined);
const snapshot = snapshotOf([
  makeNode('a1', { labels: { zone: 'a', disk: 'ssd' } }),
  makeNode('a2', { labels: { zone: 'a' } }),
  makeNode('b1', { labels: { zone: 'b', disk: 'ssd' } }),
]);
const required = (...terms: NonNullable<NonNullable<Affinity['nodeAffinity']>['requiredDuringSchedulingIgnoredDuringExecution']>['nodeSelectorTerms']): Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});
const no = [ERR_REASON_POD];

test('NodeAffinity Filter: nodeSelector, required terms (ORed), matchExpressions and matchFields', () => {
  const cases: [string, Pod, Record<string, string[]>][] = [
    ['no constraints', makePod('p'), { a1: [], a2: [], b1: [] }],
    ['nodeSelector', makePod('p', { nodeSelector: { disk: 'ssd' } }), { a1: [], a2: no, b1: [] }],
    ['nodeSelector with two labels', makePod('p', { nodeSelector: { disk: 'ssd', zone: 'b' } }), { a1: no, a2: no, b1: [] }],
    ['required In', makePod('p', { affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }) }), { a1: [], a2: [], b1: no }],
    [
      'terms are ORed',
      makePod('p', { affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }, { matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }) }),
      { a1: no, a2: [], b1: [] },
    ],
    [
      'nodeSelector AND affinity',
      makePod('p', { nodeSelector: { disk: 'ssd' }, affinity: required({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['b'] }] }) }),
      { a1: [], a2: no, b1: no },
    ],
    ['matchFields by name', makePod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a2'] }] }) }), { a1: no, a2: [], b1: no }],
  ];
  for (const [name, pod, want] of cases) {
    const got = filterReasons(plugin, pod, snapshot);
    // Nodes excluded by the PreFilter result carry the test helper's reason; compare verdicts only.
    assert.deepEqual(Object.fromEntries(Object.entries(got).map(([n, r]) => [n, r.length ? no : []])), want, name);
  }
});

test('NodeAffinity PreFilter: named nodes narrow the search; conflicting names reject', () => {
  assert.ok(isPreFilterPlugin(plugin));
  const pre = (pod: Pod) => plugin.preFilter(new CycleState(), podInfoOf(pod), snapshot);
  const named = pre(makePod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a2'] }] }) }));
  assert.ok(named instanceof PreFilterResult);
  assert.deepEqual(named.nodeNames, new Set(['a2']));
  const conflict = pre(
    makePod('p', {
      affinity: required({
        matchFields: [
          { key: 'metadata.name', operator: 'In', values: ['a1'] },
          { key: 'metadata.name', operator: 'In', values: ['a2'] },
        ],
      }),
    }),
  );
  assert.ok(!(conflict instanceof PreFilterResult));
  assert.deepEqual(conflict.reasons, [ERR_REASON_CONFLICT]);
  assert.equal(pre(makePod('p')), SKIP);
});

test('NodeAffinity Score: weights of matched preferred terms, normalized to 100', () => {
  const pod = makePod('p', {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
        ],
      },
    },
  });
  assert.deepEqual(runScore(plugin, pod, snapshot), { a1: 100, a2: 25, b1: 75 });
  assert.equal(runScore(plugin, makePod('p'), snapshot), 'skip');
});
