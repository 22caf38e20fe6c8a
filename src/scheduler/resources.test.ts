import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Container } from 'kubernetes-types/core/v1.js';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, isScalarResourceName, nodeAllocatable, podRequests } from './resources.js';
import { makeNode, makePod } from './testing.js';

const c = (name: string, requests: Record<string, string> | undefined, restartPolicy?: string): Container => ({
  name,
  image: 'img',
  resources: requests ? { requests } : undefined,
  restartPolicy,
});

test('podRequests: containers are summed, the largest init container wins when larger, overhead is added', () => {
  const cases: { name: string; containers: Container[]; init?: Container[]; overhead?: Record<string, string>; cpu: number; memory: number }[] = [
    { name: 'one container', containers: [c('a', { cpu: '250m', memory: '64Mi' })], cpu: 250, memory: 64 * 2 ** 20 },
    { name: 'two containers add up', containers: [c('a', { cpu: '250m' }), c('b', { cpu: '1', memory: '1Gi' })], cpu: 1250, memory: 2 ** 30 },
    { name: 'init larger than containers', containers: [c('a', { cpu: '100m' })], init: [c('i', { cpu: '2' }), c('j', { cpu: '500m' })], cpu: 2000, memory: 0 },
    { name: 'init smaller than containers', containers: [c('a', { cpu: '1' })], init: [c('i', { cpu: '500m' })], cpu: 1000, memory: 0 },
    {
      name: 'sidecar adds to containers and to later init containers',
      containers: [c('a', { cpu: '1' })],
      init: [c('side', { cpu: '500m' }, 'Always'), c('i', { cpu: '1200m' })],
      cpu: 1700,
      memory: 0,
    },
    { name: 'overhead', containers: [c('a', { cpu: '100m', memory: '10Mi' })], overhead: { cpu: '50m', memory: '1Mi' }, cpu: 150, memory: 11 * 2 ** 20 },
  ];
  for (const tc of cases) {
    const pod = makePod('p', { containers: tc.containers, initContainers: tc.init, overhead: tc.overhead });
    const r = podRequests(pod);
    assert.equal(r.milliCPU, tc.cpu, tc.name);
    assert.equal(r.memory, tc.memory, tc.name);
  }
});

test('podRequests: scalar resources and the non-zero view', () => {
  const pod = makePod('p', { containers: [c('a', { 'example.com/gpu': '2', 'ephemeral-storage': '1Gi' }), c('b', undefined)] });
  const r = podRequests(pod);
  assert.equal(r.scalar?.get('example.com/gpu'), 2);
  assert.equal(r.ephemeralStorage, 2 ** 30);
  assert.equal(r.milliCPU, 0);
  const nz = podRequests(pod, true);
  assert.equal(nz.milliCPU, 2 * DEFAULT_MILLI_CPU_REQUEST);
  assert.equal(nz.memory, 2 * DEFAULT_MEMORY_REQUEST);
});

test('isScalarResourceName and nodeAllocatable', () => {
  assert.equal(isScalarResourceName('nvidia.com/gpu'), true);
  assert.equal(isScalarResourceName('hugepages-2Mi'), true);
  assert.equal(isScalarResourceName('cpu'), false);
  const { resources, allowedPods } = nodeAllocatable(makeNode('n', { allocatable: { cpu: '3500m', memory: '2Gi', pods: '30', 'example.com/foo': '4' } }));
  assert.equal(resources.milliCPU, 3500);
  assert.equal(resources.memory, 2 * 2 ** 30);
  assert.equal(allowedPods, 30);
  assert.equal(resources.scalar?.get('example.com/foo'), 4);
});
