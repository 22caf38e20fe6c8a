import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { kubeletPort, nodeAddress, validateContainer } from './kubelet-location.js';
import { kubeletError } from './pod-stream-proxy.js';

const pod = (containers: string[], init: string[] = []): KubeObject =>
  ({ metadata: { name: 'p' }, spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) } }) as KubeObject;

test('validateContainer defaults the only container and refuses as Kubernetes does', () => {
  assert.equal(validateContainer(pod(['app']), null), 'app');
  assert.equal(validateContainer(pod(['a', 'b'], ['setup']), 'setup'), 'setup');
  assert.throws(() => validateContainer(pod(['a', 'b']), null), { code: 400, message: 'a container name must be specified for pod p, choose one of: [a b]' });
  assert.throws(() => validateContainer(pod(['a', 'b'], ['i']), ''), { message: 'a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i]' });
  assert.throws(() => validateContainer(pod(['a']), 'x'), { code: 400, reason: 'BadRequest', message: 'container x is not valid for pod p' });
});

test('the kubelet is dialled at InternalIP (then ExternalIP, Hostname) and daemonEndpoints port (none reported: not dialled)', () => {
  const node = (addresses: { type: string; address: string }[], port?: number): KubeObject =>
    ({ status: { addresses, ...(port ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}) } }) as KubeObject;
  assert.equal(nodeAddress(node([{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.1' }])), '10.0.0.1');
  assert.equal(nodeAddress(node([{ type: 'Hostname', address: 'n1' }])), 'n1');
  assert.equal(nodeAddress(node([])), undefined);
  assert.equal(kubeletPort(node([], 12345)), 12345);
  assert.equal(kubeletPort(node([])), undefined);
  assert.equal(kubeletPort(node([], 0)), undefined);
});

test('kubelet refusals are relayed with Kubernetes reasons (text or Status bodies)', () => {
  const e = kubeletError(400, 'container "c" in pod "p" is waiting to start: ContainerCreating\n', 'p');
  assert.equal(e.code, 400);
  assert.equal(e.reason, 'BadRequest');
  assert.equal(e.message, 'container "c" in pod "p" is waiting to start: ContainerCreating');
  const s = kubeletError(500, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'boom', code: 500 }), 'p');
  assert.equal(s.reason, 'InternalError');
  assert.match(s.message, /boom/);
  assert.equal(kubeletError(404, '', 'p').reason, 'NotFound');
});
