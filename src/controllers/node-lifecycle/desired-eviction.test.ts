// Table-driven tests of when taint-based eviction deletes a pod.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { evictionTime } from './desired-eviction.js';
import { toleratesTaint } from './taints.js';

const NOW = Date.UTC(2025, 0, 1, 0, 10, 0);
const ADDED = '2025-01-01T00:05:00Z';
const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: ADDED };
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: ADDED };
const defaults: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

describe('evictionTime', () => {
  const cases: [string, Toleration[] | undefined, Taint[], number | undefined][] = [
    ['no NoExecute taint: never', [], [{ key: 'x', effect: 'NoSchedule' }], undefined],
    ['not tolerated: now', [], [unreachable], NOW],
    ['default tolerations: 300 s after the taint was added', defaults, [unreachable], Date.parse(ADDED) + 300_000],
    ['tolerated forever', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }], [unreachable], undefined],
    ['tolerate everything (empty key, Exists)', [{ operator: 'Exists' }], [unreachable, notReady], undefined],
    ['the shortest toleration of several taints wins', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 60 }, ...defaults], [unreachable, notReady], Date.parse(ADDED) + 60_000],
    ['one taint of two not tolerated: now', [defaults[1]!], [unreachable, notReady], NOW],
    ['tolerationSeconds 0: now', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 0 }], [unreachable], NOW],
    ['a taint without timeAdded counts from now', defaults, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }], NOW + 300_000],
  ];
  for (const [name, tolerations, taints, want] of cases) test(name, () => assert.equal(evictionTime(tolerations, taints, NOW), want));
});

describe('toleratesTaint', () => {
  const taint: Taint = { key: 'k', value: 'v', effect: 'NoExecute' };
  const cases: [string, Toleration, boolean][] = [
    ['Equal with the same value', { key: 'k', value: 'v' }, true],
    ['Equal with another value', { key: 'k', value: 'w' }, false],
    ['Exists', { key: 'k', operator: 'Exists' }, true],
    ['another key', { key: 'j', operator: 'Exists' }, false],
    ['another effect', { key: 'k', operator: 'Exists', effect: 'NoSchedule' }, false],
    ['same effect', { key: 'k', operator: 'Exists', effect: 'NoExecute' }, true],
    ['empty key with Exists tolerates all', { operator: 'Exists' }, true],
  ];
  for (const [name, t, want] of cases) test(name, () => assert.equal(toleratesTaint(t, taint), want));
});
