import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from '../client/client.js';
import { FakeClient } from '../client/fake-client.js';
import { advertiseAddress, keepKubernetesEndpoints, reconcileKubernetesEndpoints } from './kubernetes-endpoints.js';

const ENDPOINTS = resourceInfo('', 'v1', 'endpoints');
const SLICES = resourceInfo('discovery.k8s.io', 'v1', 'endpointslices');
const SERVICES = resourceInfo('', 'v1', 'services');
const local = () => '192.0.2.7';

test('advertiseAddress: the flag, else one bound address, else the node IP; none on loopback', () => {
  assert.equal(advertiseAddress({ advertiseAddress: '192.0.2.9', bind: '127.0.0.1', nodeIP: '' }, local), '192.0.2.9');
  assert.equal(advertiseAddress({ advertiseAddress: '', bind: '192.0.2.5', nodeIP: '192.0.2.6' }, local), '192.0.2.5');
  assert.equal(advertiseAddress({ advertiseAddress: '', bind: '0.0.0.0', nodeIP: '192.0.2.6' }, local), '192.0.2.6');
  assert.equal(advertiseAddress({ advertiseAddress: '', bind: '0.0.0.0', nodeIP: '' }, local), '192.0.2.7');
  assert.equal(advertiseAddress({ advertiseAddress: '', bind: '127.0.0.1', nodeIP: '192.0.2.6' }, local), undefined);
  assert.equal(advertiseAddress({ advertiseAddress: '', bind: '0.0.0.0', nodeIP: '' }, () => '127.0.0.1'), undefined);
  assert.equal(advertiseAddress({ advertiseAddress: '', bind: '::1', nodeIP: '' }, local), undefined);
});

test('reconcileKubernetesEndpoints: creates the Endpoints and the EndpointSlice, corrects them, leaves them when right', async () => {
  const client = new FakeClient();
  assert.equal(await reconcileKubernetesEndpoints(client, '192.0.2.7', 6443), true);
  const ep = await client.get<Endpoints & KubeObject>(ENDPOINTS, 'default', 'kubernetes');
  assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '192.0.2.7' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
  const slice = await client.get<EndpointSlice & KubeObject>(SLICES, 'default', 'kubernetes');
  assert.equal(slice.metadata?.labels?.['kubernetes.io/service-name'], 'kubernetes');
  assert.equal(slice.addressType, 'IPv4');
  assert.deepEqual(slice.endpoints.map((e) => [e.addresses, e.conditions?.ready]), [[['192.0.2.7'], true]]);
  assert.deepEqual(slice.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
  // nothing to do the second time
  assert.equal(await reconcileKubernetesEndpoints(client, '192.0.2.7', 6443), false);
  // a changed port (a restart on another port) and a hand-edited address are put right
  await client.update(ENDPOINTS, { ...ep, subsets: [{ addresses: [{ ip: '192.0.2.99' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }] });
  assert.equal(await reconcileKubernetesEndpoints(client, '192.0.2.7', 7443), true);
  assert.equal((await client.get<Endpoints & KubeObject>(ENDPOINTS, 'default', 'kubernetes')).subsets?.[0]?.addresses?.[0]?.ip, '192.0.2.7');
  assert.equal((await client.get<EndpointSlice & KubeObject>(SLICES, 'default', 'kubernetes')).ports?.[0]?.port, 7443);
});

test("reconcileKubernetesEndpoints: the Service's https targetPort follows the API's port; other ports and a missing Service are left alone", async () => {
  const client = new FakeClient();
  await client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'kubernetes' }, spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }, { name: 'other', port: 80, targetPort: 6443 }] } });
  assert.equal(await reconcileKubernetesEndpoints(client, '192.0.2.7', 7443), true);
  const ports = (await client.get<KubeObject & { spec: { ports: { name: string; targetPort: number }[] } }>(SERVICES, 'default', 'kubernetes')).spec.ports;
  assert.deepEqual(ports.map((p) => [p.name, p.targetPort]), [['https', 7443], ['other', 6443]]);
  assert.equal(await reconcileKubernetesEndpoints(client, '192.0.2.7', 7443), false);
  const bare = new FakeClient();
  await reconcileKubernetesEndpoints(bare, '192.0.2.7', 7443);
  await assert.rejects(bare.get(SERVICES, 'default', 'kubernetes'), /not found/i);
});

test('keepKubernetesEndpoints: a deleted EndpointSlice comes back at the next round; stops with the signal', async () => {
  const client = new FakeClient();
  const ac = new AbortController();
  await keepKubernetesEndpoints({ client, ip: '192.0.2.7', port: 6443, signal: ac.signal, log: () => {}, intervalMs: 20 });
  await client.delete(SLICES, 'default', 'kubernetes');
  for (let i = 0; i < 100; i++) {
    try {
      await client.get(SLICES, 'default', 'kubernetes');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  assert.equal((await client.get<EndpointSlice & KubeObject>(SLICES, 'default', 'kubernetes')).endpoints[0]?.addresses[0], '192.0.2.7');
  ac.abort();
});
