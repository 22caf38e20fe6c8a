import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { NodeSelectorTerm } from 'kubernetes-types/core/v1.js';
import { PreferredNodeAffinity, RequiredNodeAffinity, compileNodeSelectorTerm, nodeNamesFromAffinity } from './node-selector.js';
import { makePod } from './testing.js';

test('compileNodeSelectorTerm: operators over labels and metadata.name fields', () => {
  const labels = { zone: 'a', gen: '5', disk: 'ssd' };
  const cases: [string, NodeSelectorTerm, boolean][] = [
    ['In', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, true],
    ['NotIn', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, false],
    ['NotIn on a missing key', { matchExpressions: [{ key: 'rack', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'disk', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }, false],
    ['Gt', { matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }, true],
    ['Lt', { matchExpressions: [{ key: 'gen', operator: 'Lt', values: ['4'] }] }, false],
    ['Gt on a non-integer value never matches', { matchExpressions: [{ key: 'zone', operator: 'Gt', values: ['1'] }] }, false],
    ['expressions are ANDed', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }] }, false],
    ['matchFields metadata.name In', { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }, true],
    ['matchFields metadata.name NotIn', { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] }, false],
    ['matchFields with two values is invalid', { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1', 'n2'] }] }, false],
    ['an empty term matches nothing', {}, false],
    ['In without values is invalid', { matchExpressions: [{ key: 'zone', operator: 'In', values: [] }] }, false],
    ['an unknown operator is invalid', { matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] }, false],
  ];
  for (const [name, term, want] of cases) assert.equal(compileNodeSelectorTerm(term)('n1', labels), want, name);
});

test('RequiredNodeAffinity: nodeSelector AND (terms ORed)', () => {
  const pod = makePod('p', {
    nodeSelector: { disk: 'ssd' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }],
        },
      },
    },
  });
  const r = new RequiredNodeAffinity(pod);
  assert.equal(r.empty, false);
  assert.equal(r.matches('n', { disk: 'ssd', zone: 'b' }), true);
  assert.equal(r.matches('n', { disk: 'hdd', zone: 'b' }), false);
  assert.equal(r.matches('n', { disk: 'ssd', zone: 'c' }), false);
  assert.equal(new RequiredNodeAffinity(makePod('q')).empty, true);
});

test('nodeNamesFromAffinity: names only when every term names nodes', () => {
  const withTerms = (terms: NodeSelectorTerm[]) =>
    makePod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
  const byName = (...names: string[]): NodeSelectorTerm => ({ matchFields: names.map((n) => ({ key: 'metadata.name', operator: 'In', values: [n] })) });
  assert.deepEqual(nodeNamesFromAffinity(withTerms([byName('a'), byName('b')])), new Set(['a', 'b']));
  assert.deepEqual(nodeNamesFromAffinity(withTerms([byName('a', 'b')])), new Set(), 'conflicting fields in one term');
  assert.equal(nodeNamesFromAffinity(withTerms([byName('a'), { matchExpressions: [{ key: 'x', operator: 'Exists' }] }])), undefined);
  assert.equal(nodeNamesFromAffinity(makePod('p')), undefined);
});

test('PreferredNodeAffinity sums the weights of matched terms', () => {
  const p = new PreferredNodeAffinity([
    { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
    { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
  ]);
  assert.equal(p.score('n', { zone: 'a', disk: 'x' }), 25);
  assert.equal(p.score('n', { zone: 'b' }), 0);
});
