import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { NodeDescription } from './node-status.js';
import { missingLabels, nodeStatus, nodeStatusChanged, registrationNode } from './node-status.js';

const T0 = Date.UTC(2025, 0, 1);

const desc: NodeDescription = {
  nodeName: 'n1',
  labels: { 'node-role.kubernetes.io/control-plane': '' },
  capacity: { cpu: '2', memory: '4Gi', pods: '110' },
  allocatable: { cpu: '1900m', memory: '3Gi', pods: '110' },
  nodeIP: '198.18.0.5',
  hostname: 'n1',
  machine: { osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', architecture: 'amd64', operatingSystem: 'linux', machineID: 'm', systemUUID: 's', bootID: 'b' },
  containerRuntimeVersion: 'runc://1.1.12',
  kubeletPort: 10250,
  podCIDR: '10.42.0.0/24',
};

test('registration: labels, podCIDR, status with capacity, allocatable, addresses, nodeInfo, daemonEndpoints', () => {
  const node = registrationNode(desc, { runtimeReady: true }, T0);
  assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'n1');
  assert.equal(node.metadata?.labels?.['node-role.kubernetes.io/control-plane'], '');
  assert.deepEqual(node.spec, { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] });
  assert.deepEqual(node.status?.allocatable, { cpu: '1900m', memory: '3Gi', pods: '110' });
  assert.deepEqual(node.status?.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.equal(node.status?.nodeInfo?.containerRuntimeVersion, 'runc://1.1.12');
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual(ready, { type: 'Ready', status: 'True', lastHeartbeatTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
});

test('heartbeats move, transitions only on change; conditions of others are kept; a runtime down makes Ready False', () => {
  const first = registrationNode(desc, { runtimeReady: true }, T0) as Node;
  const withOther: Node = { ...first, status: { ...first.status, conditions: [...(first.status?.conditions ?? []), { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' }] } };
  const later = nodeStatus(withOther, desc, { runtimeReady: true }, T0 + 60_000);
  const ready = later.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.lastHeartbeatTime, ready?.lastTransitionTime], ['2025-01-01T00:01:00Z', '2025-01-01T00:00:00Z']);
  assert.equal(later.conditions?.find((c) => c.type === 'NetworkUnavailable')?.reason, 'RouteCreated');
  assert.equal(nodeStatusChanged(withOther.status, later), false, 'only heartbeats moved');
  const down = nodeStatus(withOther, desc, { runtimeReady: false, runtimeMessage: 'container runtime is down: boom' }, T0 + 70_000);
  assert.deepEqual(
    [down.conditions?.find((c) => c.type === 'Ready')?.status, down.conditions?.find((c) => c.type === 'Ready')?.reason, down.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime],
    ['False', 'KubeletNotReady', '2025-01-01T00:01:10Z'],
  );
  assert.equal(nodeStatusChanged(later, down), true);
});

test('missingLabels: what an existing Node lacks, never removing others', () => {
  const node: Node = { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', team: 'a', 'kubernetes.io/os': 'windows' } } };
  assert.deepEqual(missingLabels(node, { ...desc, labels: {} }), { 'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' });
  const full = registrationNode(desc, { runtimeReady: true }, T0);
  assert.equal(missingLabels(full, desc), undefined);
});
