// The EndpointSlice controller end to end against a FakeClient (a hand-written in-memory fake of
// Client, checked by the client contract suite) with a FakeClock: slices follow Services and pod
// readiness, split at 100 endpoints, are updated minimally, never duplicated, and go with their
// Service.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Harness, NODES, PODS, SERVICES, makeNode, makePod, makeService } from '../endpoints/testing.js';
import { createEndpointSliceController } from './controller.js';
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from './desired-slices.js';
import { ENDPOINT_SLICES, type SliceObject } from './reconcile.js';

describe('endpointslice controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.client.create(NODES, makeNode('node-1', { 'topology.kubernetes.io/zone': 'zone-a' }));
  });
  afterEach(() => h.stop());

  const slices = () => h.list<SliceObject>(ENDPOINT_SLICES);
  const endpoints = async () =>
    (await slices())
      .flatMap((s) => s.endpoints ?? [])
      .map((e) => `${e.targetRef?.name} ${e.addresses.join(',')} ready=${e.conditions?.ready} serving=${e.conditions?.serving} terminating=${e.conditions?.terminating}`)
      .sort();
  const setReady = async (name: string, ready: boolean) => {
    const pod = await h.client.get(PODS, 'default', name);
    (pod.status as { conditions: unknown[] }).conditions = [{ type: 'Ready', status: ready ? 'True' : 'False' }];
    await h.client.updateStatus(PODS, pod);
    await h.settle();
  };

  test('a slice per Service with the Kubernetes labels, owner and endpoint conditions', async () => {
    const svc = await h.client.create(SERVICES, makeService('web', { labels: { app: 'web' } }));
    await h.client.create(PODS, makePod('web-1', { ip: '10.42.0.11' }));
    await h.client.create(PODS, makePod('web-2', { ip: '10.42.0.12', ready: false }));
    await h.start(createEndpointSliceController);

    const [s, ...rest] = await slices();
    assert.ok(s);
    assert.equal(rest.length, 0);
    assert.match(s.metadata!.name!, /^web-/);
    assert.deepEqual(s.metadata?.labels, { app: 'web', [SERVICE_NAME_LABEL]: 'web', [MANAGED_BY_LABEL]: 'endpointslice-controller.k8s.io' });
    assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.equal(s.endpoints?.[0]?.nodeName, 'node-1');
    assert.equal(s.endpoints?.[0]?.zone, 'zone-a');
    assert.deepEqual(await endpoints(), ['web-1 10.42.0.11 ready=true serving=true terminating=false', 'web-2 10.42.0.12 ready=false serving=false terminating=false']);

    await setReady('web-2', true);
    await setReady('web-1', false);
    assert.deepEqual(await endpoints(), ['web-1 10.42.0.11 ready=false serving=false terminating=false', 'web-2 10.42.0.12 ready=true serving=true terminating=false']);
  });

  test('250 pods: three slices; a readiness change rewrites only the slice that holds the pod', async () => {
    await h.client.create(SERVICES, makeService('web'));
    for (let i = 0; i < 250; i++) await h.client.create(PODS, makePod(`p${i}`, { ip: `10.42.${Math.floor(i / 200)}.${(i % 200) + 1}` }));
    await h.start(createEndpointSliceController);

    const before = await slices();
    assert.deepEqual(before.map((s) => s.endpoints?.length).sort(), [100, 100, 50]);
    await setReady('p7', false);
    const after = await slices();
    const changed = after.filter((s) => s.metadata?.resourceVersion !== before.find((b) => b.metadata?.name === s.metadata?.name)?.metadata?.resourceVersion);
    assert.equal(changed.length, 1);
    assert.ok(changed[0]!.endpoints?.some((e) => e.targetRef?.name === 'p7' && e.conditions?.ready === false));
  });

  test('never duplicates slices while its cache lags behind its writes; recreates a deleted slice', async () => {
    await h.client.create(SERVICES, makeService('web'));
    await h.client.create(PODS, makePod('a', { ip: '10.42.0.11' }));
    h.holdWatchEvents('endpointslices');
    await h.start(createEndpointSliceController);
    // Pod changes queue the Service again while the slice cache has not seen the first write.
    for (let i = 0; i < 5; i++) {
      await h.client.create(PODS, makePod(`b${i}`, { ip: `10.42.0.${20 + i}` }));
      await h.advance(1);
    }
    assert.equal((await slices()).length, 1);
    h.releaseWatchEvents('endpointslices');
    await h.advance(1000);
    assert.equal((await slices()).length, 1);
    assert.equal((await endpoints()).length, 6);

    const [s] = await slices();
    await h.client.delete(ENDPOINT_SLICES, 'default', s!.metadata!.name!);
    await h.advance(1000);
    assert.equal((await slices()).length, 1);
    assert.equal((await endpoints()).length, 6);
  });

  test('an empty placeholder while no pod matches; slices go with the Service', async () => {
    await h.client.create(SERVICES, makeService('web'));
    await h.start(createEndpointSliceController);
    const [placeholder] = await slices();
    assert.deepEqual(placeholder?.endpoints, []);

    await h.client.create(PODS, makePod('a', { ip: '10.42.0.11' }));
    await h.settle();
    const [s, ...rest] = await slices();
    assert.equal(rest.length, 0);
    assert.equal(s?.metadata?.name, placeholder?.metadata?.name, 'the placeholder was filled, not replaced');

    await h.client.delete(SERVICES, 'default', 'web');
    await h.settle();
    assert.deepEqual(await slices(), []);
  });

  test('terminating pods stay, marked terminating; Services without a selector get nothing', async () => {
    await h.client.create(SERVICES, makeService('web'));
    await h.client.create(SERVICES, makeService('manual', { selector: null }));
    const pod = makePod('a', { ip: '10.42.0.11' });
    pod.metadata!.finalizers = ['test/hold'];
    await h.client.create(PODS, pod);
    await h.client.delete(PODS, 'default', 'a'); // held by the finalizer: terminating
    await h.start(createEndpointSliceController);
    assert.deepEqual(await endpoints(), ['a 10.42.0.11 ready=false serving=true terminating=true']);
    assert.equal((await slices()).length, 1);
  });

  test('a pod on a node the cache does not know yet is added once the node appears', async () => {
    await h.client.create(SERVICES, makeService('web'));
    await h.client.create(PODS, makePod('a', { ip: '10.42.0.11', node: 'node-2' }));
    await h.start(createEndpointSliceController);
    assert.deepEqual(await endpoints(), []);
    await h.client.create(NODES, makeNode('node-2'));
    await h.advance(1000);
    assert.deepEqual(await endpoints(), ['a 10.42.0.11 ready=true serving=true terminating=false']);
  });
});
