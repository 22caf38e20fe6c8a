// The endpoints controller end to end against a FakeClient (a hand-written in-memory fake of
// Client, checked by the client contract suite) with a FakeClock: Endpoints follow Services and
// pod readiness, are written only when something changed, and go with their Service.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { createEndpointsController } from './controller.js';
import { MANAGED_BY_LABEL } from './desired-endpoints.js';
import { ENDPOINTS } from './reconcile.js';
import { Harness, PODS, SERVICES, makePod, makeService } from './testing.js';

type Ep = Endpoints & KubeObject;

describe('endpoints controller', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.stop());

  const get = async (name: string): Promise<Ep | undefined> => (await h.list<Ep>(ENDPOINTS)).find((e) => e.metadata?.name === name);
  const ips = (e: Ep | undefined, field: 'addresses' | 'notReadyAddresses') => (e?.subsets ?? []).flatMap((s) => (s[field] ?? []).map((a) => a.ip)).sort();
  const setReady = async (name: string, ready: boolean) => {
    const pod = await h.client.get(PODS, 'default', name);
    const status = pod.status as { conditions: { type: string; status: string; lastTransitionTime?: string }[] };
    status.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(h.clock.now()).toISOString() }];
    await h.client.updateStatus(PODS, pod);
  };

  test('creates Endpoints for a Service with a selector and follows pod readiness', async () => {
    await h.client.create(PODS, makePod('web-1', { ip: '10.42.0.11' }));
    await h.client.create(PODS, makePod('web-2', { ip: '10.42.0.12', ready: false }));
    await h.client.create(PODS, makePod('other', { ip: '10.42.0.13', labels: { app: 'other' } }));
    await h.client.create(SERVICES, makeService('web'));
    await h.start(createEndpointsController);

    let ep = await get('web');
    assert.ok(ep, 'Endpoints created');
    assert.deepEqual(ips(ep, 'addresses'), ['10.42.0.11']);
    assert.deepEqual(ips(ep, 'notReadyAddresses'), ['10.42.0.12']);
    assert.equal(ep.metadata?.labels?.[MANAGED_BY_LABEL], 'endpoint-controller');
    assert.deepEqual(ep.subsets?.[0]?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const pod = await h.client.get(PODS, 'default', 'web-1');
    assert.deepEqual(ep.subsets?.[0]?.addresses?.[0]?.targetRef, { kind: 'Pod', namespace: 'default', name: 'web-1', uid: pod.metadata?.uid });
    assert.equal(ep.subsets?.[0]?.addresses?.[0]?.nodeName, 'node-1');

    await h.advance(5000);
    await setReady('web-2', true);
    await h.settle();
    ep = await get('web');
    assert.deepEqual(ips(ep, 'addresses'), ['10.42.0.11', '10.42.0.12']);
    assert.deepEqual(ips(ep, 'notReadyAddresses'), []);
    assert.equal(ep?.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], '2025-01-01T00:00:05Z');

    await setReady('web-1', false);
    await h.settle();
    ep = await get('web');
    assert.deepEqual(ips(ep, 'addresses'), ['10.42.0.12']);
    assert.deepEqual(ips(ep, 'notReadyAddresses'), ['10.42.0.11']);

    await h.client.delete(PODS, 'default', 'web-2');
    await h.settle();
    ep = await get('web');
    assert.deepEqual(ips(ep, 'addresses'), []);
    assert.deepEqual(ips(ep, 'notReadyAddresses'), ['10.42.0.11']);
  });

  test('a pod whose labels change joins or leaves the Service', async () => {
    await h.client.create(SERVICES, makeService('web'));
    await h.client.create(PODS, makePod('p', { ip: '10.42.0.11', labels: { app: 'other' } }));
    await h.start(createEndpointsController);
    assert.deepEqual(ips(await get('web'), 'addresses'), []);

    const pod = await h.client.get(PODS, 'default', 'p');
    pod.metadata!.labels = { app: 'web' };
    await h.client.update(PODS, pod);
    await h.settle();
    assert.deepEqual(ips(await get('web'), 'addresses'), ['10.42.0.11']);

    const again = await h.client.get(PODS, 'default', 'p');
    again.metadata!.labels = { app: 'gone' };
    await h.client.update(PODS, again);
    await h.settle();
    assert.deepEqual(ips(await get('web'), 'addresses'), []);
  });

  test('writes only when something changed', async () => {
    await h.client.create(SERVICES, makeService('web'));
    await h.client.create(PODS, makePod('p', { ip: '10.42.0.11' }));
    await h.start(createEndpointsController);
    const before = (await get('web'))?.metadata?.resourceVersion;

    // An annotation on the pod, a label on an unrelated pod, a Service resync: no write.
    const pod = await h.client.get(PODS, 'default', 'p');
    pod.metadata!.annotations = { note: 'x' };
    await h.client.update(PODS, pod);
    await h.client.create(PODS, makePod('q', { ip: '10.42.0.12', labels: { app: 'other' } }));
    const svc = await h.client.get(SERVICES, 'default', 'web');
    svc.metadata!.annotations = { touched: 'yes' };
    await h.client.update(SERVICES, svc);
    await h.settle();
    assert.equal((await get('web'))?.metadata?.resourceVersion, before);
  });

  test('deletes the Endpoints with the Service; recreates them when deleted under a live Service', async () => {
    await h.client.create(SERVICES, makeService('web'));
    await h.client.create(PODS, makePod('p', { ip: '10.42.0.11' }));
    await h.start(createEndpointsController);
    assert.ok(await get('web'));

    await h.client.delete(ENDPOINTS, 'default', 'web');
    await h.settle();
    assert.deepEqual(ips(await get('web'), 'addresses'), ['10.42.0.11'], 'recreated');

    await h.client.delete(SERVICES, 'default', 'web');
    await h.settle();
    assert.equal(await get('web'), undefined);
  });

  test('leaves Services without a selector (and their hand-written Endpoints) alone; cleans up leftovers at start', async () => {
    await h.client.create(SERVICES, makeService('external', { selector: null }));
    const manual = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external', namespace: 'default' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 443 }] }] };
    await h.client.create(ENDPOINTS, manual);
    await h.client.create(ENDPOINTS, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'orphan', namespace: 'default' } });
    await h.start(createEndpointsController);

    const ext = await get('external');
    assert.deepEqual(ext?.subsets, manual.subsets);
    assert.equal(ext?.metadata?.resourceVersion, '2', 'never written');
    assert.equal(await get('orphan'), undefined, 'Endpoints without a Service removed at start');
  });

  test('retries a failed write with backoff', async () => {
    await h.client.create(SERVICES, makeService('web'));
    h.client.injectError('create', new Error('connection reset'), 2);
    await h.start(createEndpointsController);
    assert.equal(await get('web'), undefined);
    await h.advance(100);
    assert.ok(await get('web'), 'created after retries');
    assert.ok(h.logs.some((l) => l.startsWith('endpoints: sync default/web failed')));
  });
});
