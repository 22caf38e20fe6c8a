// The namespace controller over a FakeClient with the API server's namespace rules (Terminating
// while spec.finalizers hold `kubernetes`, removed by the finalize subresource).
import { strict as assert } from 'node:assert';
import { afterEach, describe, it } from 'node:test';
import { deepCopy, type KubeObject } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';
import { FakeClient } from '../../client/fake-client.js';
import { NAMESPACES, ServerLikeClient, harness, type Harness } from '../job/test-harness.js';
import { deletionConditions, namespacedResources, tallyRemaining } from './content.js';
import { createNamespaceController } from './controller.js';
import { finalizeFrom } from './finalize.js';

const PODS = resourceInfo('', 'v1', 'pods');
const CONFIGMAPS = resourceInfo('', 'v1', 'configmaps');
const DEPLOYMENTS = resourceInfo('apps', 'v1', 'deployments');
const LEASES = resourceInfo('coordination.k8s.io', 'v1', 'leases');

async function fill(h: Harness, namespace: string): Promise<void> {
  await h.client.create(NAMESPACES, { metadata: { name: namespace } });
  await h.client.create(CONFIGMAPS, { metadata: { name: 'cfg', namespace } });
  await h.client.create(PODS, { metadata: { name: 'pod', namespace }, spec: {} });
  await h.client.create(DEPLOYMENTS, { metadata: { name: 'web', namespace }, spec: {} });
  await h.client.create(LEASES, { metadata: { name: 'lock', namespace }, spec: {} });
}

async function namespace(h: Harness, name: string): Promise<KubeObject | undefined> {
  return (await h.list(NAMESPACES)).find((n) => n.metadata?.name === name);
}

describe('namespace controller', () => {
  let h: Harness;
  afterEach(async () => {
    if (process.env.NS_TEST_LOGS) console.log(h.logs.join('\n'));
    await h.stop();
  });

  it('empties a deleted namespace, then finalizes it; other namespaces are untouched', async () => {
    h = harness();
    h.start(createNamespaceController(h.deps));
    await fill(h, 'doomed');
    await fill(h, 'kept');
    await h.idle();
    assert.equal((await h.list(PODS, 'doomed')).length, 1, 'nothing happens before the delete');
    await h.client.delete(NAMESPACES, undefined, 'doomed');
    assert.equal(((await namespace(h, 'doomed'))?.status as { phase?: string }).phase, 'Terminating');
    await h.until(async () => (await namespace(h, 'doomed')) === undefined, 'namespace removed');
    for (const info of [PODS, CONFIGMAPS, DEPLOYMENTS, LEASES]) {
      assert.equal((await h.list(info, 'doomed')).length, 0, info.plural);
      assert.equal((await h.list(info, 'kept')).length, 1, info.plural);
    }
    assert.ok(await namespace(h, 'kept'));
  });

  it('waits, reporting conditions, while objects with finalizers remain', async () => {
    h = harness();
    h.start(createNamespaceController(h.deps));
    await fill(h, 'slow');
    await h.client.create(CONFIGMAPS, { metadata: { name: 'held', namespace: 'slow', finalizers: ['example.com/cleanup'] } });
    await h.client.delete(NAMESPACES, undefined, 'slow');
    await h.until(async () => (await h.list(PODS, 'slow')).length === 0, 'content deleted');
    await h.clock.advance(5_000);
    const ns = await namespace(h, 'slow');
    assert.ok(ns, 'the namespace waits');
    const conditions = (ns.status as { conditions?: { type: string; status: string; message?: string }[] }).conditions ?? [];
    const byType = new Map(conditions.map((c) => [c.type, c]));
    assert.equal(byType.get('NamespaceContentRemaining')?.status, 'True');
    assert.equal(byType.get('NamespaceContentRemaining')?.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(byType.get('NamespaceFinalizersRemaining')?.message, 'Some content in the namespace has finalizers remaining: example.com/cleanup in 1 resource instances');
    assert.equal(byType.get('NamespaceDeletionContentFailure')?.status, 'False');
    const held = deepCopy(await h.client.get(CONFIGMAPS, 'slow', 'held'));
    held.metadata!.finalizers = [];
    await h.client.update(CONFIGMAPS, held);
    await h.clock.advance(20_000);
    await h.until(async () => (await namespace(h, 'slow')) === undefined, 'namespace removed');
  });

  it('leaves other finalizers in spec.finalizers to their owners', async () => {
    h = harness();
    h.start(createNamespaceController(h.deps));
    await h.client.create(NAMESPACES, { metadata: { name: 'shared' }, spec: { finalizers: ['example.com/other', 'kubernetes'] } });
    await h.client.delete(NAMESPACES, undefined, 'shared');
    await h.until(async () => {
      const spec = (await namespace(h, 'shared'))?.spec as { finalizers?: string[] } | undefined;
      return spec?.finalizers?.join() === 'example.com/other';
    }, 'kubernetes finalizer removed');
    await h.idle();
    assert.ok(await namespace(h, 'shared'), 'still there for the other finalizer');
  });
});

describe('namespace content', () => {
  it('covers every namespaced resource, and no cluster-scoped one', () => {
    const plurals = namespacedResources().map((r) => r.plural);
    for (const p of ['pods', 'services', 'configmaps', 'secrets', 'deployments', 'replicasets', 'jobs', 'cronjobs', 'endpoints', 'endpointslices', 'leases', 'events']) assert.ok(plurals.includes(p), p);
    assert.ok(!plurals.includes('nodes') && !plurals.includes('namespaces'));
  });

  it('conditions keep their transition time while their status holds', () => {
    const busy = tallyRemaining(new Map([[PODS, [{ metadata: { name: 'a', finalizers: ['x/y'] } }]]]));
    const first = deletionConditions(undefined, busy, [], '2025-01-01T00:00:00Z');
    const again = deletionConditions(first, busy, [], '2025-01-01T00:01:00Z');
    assert.deepEqual(again, first);
    const empty = deletionConditions(again, tallyRemaining(new Map()), ['pods: boom'], '2025-01-01T00:02:00Z');
    const remaining = empty.find((c) => c.type === 'NamespaceContentRemaining')!;
    assert.deepEqual([remaining.status, remaining.lastTransitionTime], ['False', '2025-01-01T00:02:00Z']);
    const failure = empty.find((c) => c.type === 'NamespaceDeletionContentFailure')!;
    assert.equal(failure.message, 'Failed to delete all resource types, 1 remaining: pods: boom');
  });

  it('finds the finalize call on clients that have one', () => {
    assert.equal(finalizeFrom(new FakeClient()), undefined);
    assert.equal(typeof finalizeFrom(new ServerLikeClient()), 'function');
  });
});
