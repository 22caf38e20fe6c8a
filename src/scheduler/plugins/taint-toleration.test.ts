import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { snapshotOf } from '../cache.js';
import { filterReasons, makeNode, makePod, runFilter, runScore } from '../testing.js';
import { newTaintToleration } from './taint-toleration.js';

const plugin = newTaintToleration({ cluster: {} }, undefined);

test('TaintToleration Filter: NoSchedule and NoExecute taints need a toleration', () => {
  const snapshot = snapshotOf([
    makeNode('clean'),
    makeNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    makeNode('down', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }),
    makeNode('soft', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }),
  ]);
  const cases: [string, Pod, Record<string, string[]>][] = [
    [
      'no tolerations',
      makePod('p'),
      { clean: [], gpu: ['node(s) had untolerated taint {dedicated: gpu}'], down: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'], soft: [] },
    ],
    [
      'tolerates gpu',
      makePod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }),
      { clean: [], gpu: [], down: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'], soft: [] },
    ],
    ['tolerates everything', makePod('p', { tolerations: [{ operator: 'Exists' }] }), { clean: [], gpu: [], down: [], soft: [] }],
  ];
  for (const [name, pod, want] of cases) assert.deepEqual(filterReasons(plugin, pod, snapshot), want, name);
  assert.equal(runFilter(plugin, makePod('p'), snapshot).get('gpu')?.code, 'UnschedulableAndUnresolvable');
});

test('TaintToleration Score: fewer untolerated PreferNoSchedule taints score higher', () => {
  const snapshot = snapshotOf([
    makeNode('none'),
    makeNode('one', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }),
    makeNode('two', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] }),
  ]);
  assert.deepEqual(runScore(plugin, makePod('p'), snapshot), { none: 100, one: 50, two: 0 });
  assert.deepEqual(runScore(plugin, makePod('p', { tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }] }), snapshot), { none: 100, one: 100, two: 0 });
  assert.deepEqual(runScore(plugin, makePod('p', { tolerations: [{ operator: 'Exists' }] }), snapshot), { none: 100, one: 100, two: 100 });
});
