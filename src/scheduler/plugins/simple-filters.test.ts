// NodeUnschedulable, NodeName, NodePorts: table-driven Filter tests.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { snapshotOf } from '../cache.js';
import { filterReasons, makeNode, makePod } from '../testing.js';
import { ERR_REASON_NODE_NAME, newNodeName } from './node-name.js';
import { ERR_REASON_NODE_PORTS, newNodePorts } from './node-ports.js';
import { ERR_REASON_UNSCHEDULABLE, newNodeUnschedulable } from './node-unschedulable.js';

const handle = { cluster: {} };

test('NodeUnschedulable rejects cordoned nodes unless the pod tolerates the unschedulable taint', () => {
  const snapshot = snapshotOf([makeNode('open'), makeNode('cordoned', { unschedulable: true })]);
  const plugin = newNodeUnschedulable(handle, undefined);
  const cases: [string, Pod, Record<string, string[]>][] = [
    ['plain pod', makePod('p'), { open: [], cordoned: [ERR_REASON_UNSCHEDULABLE] }],
    [
      'tolerating pod',
      makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      { open: [], cordoned: [] },
    ],
    ['tolerating the wrong effect', makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] }), { open: [], cordoned: [ERR_REASON_UNSCHEDULABLE] }],
  ];
  for (const [name, pod, want] of cases) assert.deepEqual(filterReasons(plugin, pod, snapshot), want, name);
});

test('NodeName: a pod naming a node fits only that node', () => {
  const snapshot = snapshotOf([makeNode('a'), makeNode('b')]);
  const plugin = newNodeName(handle, undefined);
  assert.deepEqual(filterReasons(plugin, makePod('p'), snapshot), { a: [], b: [] });
  assert.deepEqual(filterReasons(plugin, makePod('p', { nodeName: 'b' }), snapshot), { a: [ERR_REASON_NODE_NAME], b: [] });
});

test('NodePorts: host port conflicts by protocol, port and address', () => {
  const existing = [
    makePod('web', { nodeName: 'n1', hostPorts: [{ hostPort: 80 }] }),
    makePod('dns', { nodeName: 'n2', hostPorts: [{ hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }] }),
  ];
  const snapshot = snapshotOf([makeNode('n1'), makeNode('n2'), makeNode('n3')], existing);
  const plugin = newNodePorts(handle, undefined);
  const busy = [ERR_REASON_NODE_PORTS];
  const cases: [string, Pod, Record<string, string[]>][] = [
    ['no host ports (skipped)', makePod('p'), { n1: [], n2: [], n3: [] }],
    ['same TCP port', makePod('p', { hostPorts: [{ hostPort: 80 }] }), { n1: busy, n2: [], n3: [] }],
    ['same port, other protocol', makePod('p', { hostPorts: [{ hostPort: 80, protocol: 'UDP' }] }), { n1: [], n2: [], n3: [] }],
    ['UDP 53 on another address', makePod('p', { hostPorts: [{ hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.2' }] }), { n1: [], n2: [], n3: [] }],
    ['UDP 53 on the same address', makePod('p', { hostPorts: [{ hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }] }), { n1: [], n2: busy, n3: [] }],
    ['UDP 53 on every address', makePod('p', { hostPorts: [{ hostPort: 53, protocol: 'UDP' }] }), { n1: [], n2: busy, n3: [] }],
    ['TCP 80 on one address vs 0.0.0.0', makePod('p', { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.9' }] }), { n1: busy, n2: [], n3: [] }],
  ];
  for (const [name, pod, want] of cases) assert.deepEqual(filterReasons(plugin, pod, snapshot), want, name);
});
