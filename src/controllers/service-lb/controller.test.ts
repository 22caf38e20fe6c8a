// The built-in load balancer controller against a FakeClient with a FakeClock.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';
import { Harness } from '../endpoints/testing.js';
import { createServiceLBController } from './controller.js';
import { parsePool, poolAddress } from './ingress.js';

const SERVICES = resourceInfo('', 'v1', 'services');
const NODES = resourceInfo('', 'v1', 'nodes');

const node = (name: string, ip: string, ready = true): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const svc = (name: string, type = 'LoadBalancer', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { type, ports: [{ port: 80 }], ...extra },
});

describe('servicelb controller', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.stop());
  const ingress = async (name: string) => ((await h.client.get(SERVICES, 'default', name)) as Service).status?.loadBalancer?.ingress?.map((i) => i.ip) ?? [];

  test('without a pool a LoadBalancer gets the Ready nodes’ InternalIPs and follows node changes', async () => {
    await h.client.create(NODES, node('b', '198.18.0.12'));
    await h.client.create(NODES, node('a', '198.18.0.11'));
    await h.client.create(NODES, node('down', '198.18.0.13', false));
    await h.start(createServiceLBController());
    await h.client.create(SERVICES, svc('web'));
    await h.client.create(SERVICES, svc('plain', 'ClusterIP'));
    await h.settle();
    assert.deepEqual(await ingress('web'), ['198.18.0.11', '198.18.0.12']);
    assert.deepEqual(await ingress('plain'), []);
    await h.client.delete(NODES, undefined, 'b');
    await h.settle();
    assert.deepEqual(await ingress('web'), ['198.18.0.11']);
  });

  test('with a pool each Service gets its own address, keeps it, honours loadBalancerIP and loses it when no longer a LoadBalancer', async () => {
    await h.start(createServiceLBController({ pool: '198.18.250.0/29' }));
    await h.client.create(SERVICES, svc('one'));
    await h.settle();
    await h.client.create(SERVICES, svc('two'));
    await h.client.create(SERVICES, svc('pinned', 'LoadBalancer', { loadBalancerIP: '198.18.250.6' }));
    await h.settle();
    assert.deepEqual(await ingress('one'), ['198.18.250.1']);
    assert.deepEqual(await ingress('two'), ['198.18.250.2']);
    assert.deepEqual(await ingress('pinned'), ['198.18.250.6']);
    const one = (await h.client.get(SERVICES, 'default', 'one')) as Service;
    await h.client.update(SERVICES, { ...one, spec: { ...one.spec, type: 'ClusterIP' } } as KubeObject);
    await h.settle();
    assert.deepEqual(await ingress('one'), []);
    assert.deepEqual(await ingress('two'), ['198.18.250.2'], 'others keep theirs');
  });

  test('pool exhaustion and bad requests are errors, not silent', () => {
    const pool = parsePool('198.18.250.0/30'); // .1 and .2
    const s = svc('x') as Service;
    assert.equal(poolAddress(s, pool, new Set(['198.18.250.1'])), '198.18.250.2');
    assert.match((poolAddress(s, pool, new Set(['198.18.250.1', '198.18.250.2'])) as { error: string }).error, /no addresses left/);
    assert.match((poolAddress({ ...s, spec: { ...s.spec, loadBalancerIP: '10.0.0.1' } }, pool, new Set()) as { error: string }).error, /not in the pool/);
    assert.throws(() => parsePool('nonsense'), /invalid load balancer pool/);
  });
});
