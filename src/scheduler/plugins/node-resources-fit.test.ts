import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { snapshotOf } from '../cache.js';
import { filterReasons, makeNode, makePod, runFilter } from '../testing.js';
import { newNodeResourcesFit } from './node-resources-fit.js';

const plugin = newNodeResourcesFit({ cluster: {} }, undefined);

test('NodeResourcesFit: requests against allocatable minus what pods on the node request', () => {
  const snapshot = snapshotOf(
    [
      makeNode('big', { allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'example.com/gpu': '2', 'ephemeral-storage': '10Gi' } }),
      makeNode('busy', { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } }),
      makeNode('tiny', { allocatable: { cpu: '500m', memory: '512Mi', pods: '1' } }),
    ],
    [makePod('hog', { nodeName: 'busy', requests: { cpu: '3500m', memory: '7Gi' } }), makePod('one', { nodeName: 'tiny' })],
  );
  const cases: [string, Pod, Record<string, string[]>][] = [
    ['small request', makePod('p', { requests: { cpu: '100m', memory: '100Mi' } }), { big: [], busy: [], tiny: ['Too many pods'] }],
    ['cpu beyond what is left', makePod('p', { requests: { cpu: '1' } }), { big: [], busy: ['Insufficient cpu'], tiny: ['Too many pods', 'Insufficient cpu'] }],
    [
      'cpu and memory',
      makePod('p', { requests: { cpu: '1', memory: '2Gi' } }),
      { big: [], busy: ['Insufficient cpu', 'Insufficient memory'], tiny: ['Too many pods', 'Insufficient cpu', 'Insufficient memory'] },
    ],
    ['no requests still needs a pod slot', makePod('p'), { big: [], busy: [], tiny: ['Too many pods'] }],
    ['extended resource', makePod('p', { requests: { 'example.com/gpu': '1' } }), { big: [], busy: ['Insufficient example.com/gpu'], tiny: ['Too many pods', 'Insufficient example.com/gpu'] }],
    ['ephemeral storage', makePod('p', { requests: { 'ephemeral-storage': '1Gi' } }), { big: [], busy: ['Insufficient ephemeral-storage'], tiny: ['Too many pods', 'Insufficient ephemeral-storage'] }],
    [
      'init container max rule',
      makePod('p', { containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }], initContainers: [{ name: 'i', resources: { requests: { cpu: '1' } } }] }),
      { big: [], busy: ['Insufficient cpu'], tiny: ['Too many pods', 'Insufficient cpu'] },
    ],
    ['overhead counts', makePod('p', { requests: { cpu: '400m' }, overhead: { cpu: '200m' } }), { big: [], busy: ['Insufficient cpu'], tiny: ['Too many pods', 'Insufficient cpu'] }],
  ];
  for (const [name, pod, want] of cases) assert.deepEqual(filterReasons(plugin, pod, snapshot), want, name);
});

test('NodeResourcesFit: a request larger than the whole node is unresolvable', () => {
  const snapshot = snapshotOf([makeNode('n', { allocatable: { cpu: '2', memory: '1Gi', pods: '10' } })], [makePod('x', { nodeName: 'n', requests: { cpu: '1500m' } })]);
  assert.equal(runFilter(plugin, makePod('p', { requests: { cpu: '1' } }), snapshot).get('n')?.code, 'Unschedulable');
  assert.equal(runFilter(plugin, makePod('p', { requests: { cpu: '3' } }), snapshot).get('n')?.code, 'UnschedulableAndUnresolvable');
});

test('NodeResourcesFit: ignoredResources are not checked; bad args throw', () => {
  const snapshot = snapshotOf([makeNode('n')]);
  const lenient = newNodeResourcesFit({ cluster: {} }, { ignoredResources: ['example.com/gpu'] });
  assert.deepEqual(filterReasons(lenient, makePod('p', { requests: { 'example.com/gpu': '1' } }), snapshot), { n: [] });
  assert.throws(() => newNodeResourcesFit({ cluster: {} }, { ignoredResources: 'x' }), /ignoredResources/);
});
