// The garbage collector over a FakeClient with the API server's deletion rules (Orphan and
// Foreground add finalizers): Background, Orphan and Foreground cascades, several owners, and
// never deleting because a cache lags.
import { strict as assert } from 'node:assert';
import { afterEach, describe, it } from 'node:test';
import { deepCopy, type KubeObject, type OwnerReference } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { harness, type Harness } from '../job/test-harness.js';
import { createGarbageCollector } from './controller.js';
import { OWNER_UID_INDEX, UID_INDEX, itemKey, ownerUidIndex, uidIndex } from './owners.js';
import { GarbageCollector } from './reconcile.js';

const DEPLOYMENTS = resourceInfo('apps', 'v1', 'deployments');
const REPLICASETS = resourceInfo('apps', 'v1', 'replicasets');
const PODS = resourceInfo('', 'v1', 'pods');
const CONFIGMAPS = resourceInfo('', 'v1', 'configmaps');

function ref(owner: KubeObject, block = true): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: block };
}

/** A Deployment, its ReplicaSet and `n` pods, owned as the controllers own them. */
async function deploymentTree(h: Harness, n = 2): Promise<{ deploy: KubeObject; rs: KubeObject; pods: KubeObject[] }> {
  const deploy = await h.client.create(DEPLOYMENTS, { metadata: { name: 'web', namespace: 'default' }, spec: {} });
  const rs = await h.client.create(REPLICASETS, { metadata: { name: 'web-abc', namespace: 'default', ownerReferences: [ref(deploy)] }, spec: {} });
  const pods: KubeObject[] = [];
  for (let i = 0; i < n; i++) pods.push(await h.client.create(PODS, { metadata: { name: `web-abc-${i}`, namespace: 'default', ownerReferences: [ref(rs)] }, spec: {} }));
  return { deploy, rs, pods };
}

async function names(h: Harness, info: typeof PODS): Promise<string[]> {
  return (await h.list(info, 'default')).map((o) => o.metadata!.name!).sort();
}

describe('garbage collector', () => {
  let h: Harness;
  afterEach(async () => {
    if (process.env.GC_TEST_LOGS) console.log(h.logs.join('\n'));
    await h.stop();
  });

  it('Background: deleting a Deployment removes its ReplicaSets, then their pods', async () => {
    h = harness();
    h.start(createGarbageCollector(h.deps));
    await deploymentTree(h);
    await h.idle();
    assert.deepEqual(await names(h, PODS), ['web-abc-0', 'web-abc-1'], 'nothing is collected while owners exist');
    await h.client.delete(DEPLOYMENTS, 'default', 'web', { propagationPolicy: 'Background' });
    await h.until(async () => (await h.list(PODS, 'default')).length === 0 && (await h.list(REPLICASETS, 'default')).length === 0, 'cascade');
  });

  it('Orphan: dependents stay, without the reference to the deleted owner', async () => {
    h = harness();
    h.start(createGarbageCollector(h.deps));
    await deploymentTree(h);
    await h.idle();
    await h.client.delete(DEPLOYMENTS, 'default', 'web', { propagationPolicy: 'Orphan' });
    await h.until(async () => (await h.list(DEPLOYMENTS, 'default')).length === 0, 'deployment gone');
    await h.idle();
    const [rs] = await h.list(REPLICASETS, 'default');
    assert.equal(rs?.metadata?.ownerReferences, undefined);
    const pods = await h.list(PODS, 'default');
    assert.equal(pods.length, 2);
    for (const p of pods) assert.equal(p.metadata?.ownerReferences?.[0]?.uid, rs?.metadata?.uid, 'pods keep their ReplicaSet');
  });

  it('Foreground: the owner goes last, after every blocking dependent is gone', async () => {
    h = harness();
    h.start(createGarbageCollector(h.deps));
    const { pods } = await deploymentTree(h);
    // One pod is slow to go (a finalizer of someone else's).
    const slow = deepCopy(await h.client.get(PODS, 'default', pods[0]!.metadata!.name!));
    slow.metadata!.finalizers = ['example.com/slow'];
    await h.client.update(PODS, slow);
    await h.idle();
    await h.client.delete(DEPLOYMENTS, 'default', 'web', { propagationPolicy: 'Foreground' });
    await h.until(async () => (await names(h, PODS)).join() === 'web-abc-0', 'other pods deleted');
    await h.idle();
    assert.equal((await h.list(REPLICASETS, 'default')).length, 1, 'the ReplicaSet waits for its pods');
    assert.ok((await h.list(REPLICASETS, 'default'))[0]?.metadata?.finalizers?.includes('foregroundDeletion'));
    assert.equal((await h.list(DEPLOYMENTS, 'default')).length, 1, 'the Deployment waits for its ReplicaSet');
    const terminating = deepCopy(await h.client.get(PODS, 'default', 'web-abc-0'));
    assert.ok(terminating.metadata?.deletionTimestamp);
    terminating.metadata!.finalizers = [];
    await h.client.update(PODS, terminating);
    await h.until(async () => (await h.list(DEPLOYMENTS, 'default')).length === 0 && (await h.list(REPLICASETS, 'default')).length === 0, 'foreground cascade');
  });

  it('Foreground: dependents that do not block are deleted but not waited for', async () => {
    h = harness();
    h.start(createGarbageCollector(h.deps));
    const owner = await h.client.create(CONFIGMAPS, { metadata: { name: 'owner', namespace: 'default' } });
    const held = await h.client.create<KubeObject>(PODS, { metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/slow'], ownerReferences: [ref(owner, false)] }, spec: {} });
    await h.idle();
    await h.client.delete(CONFIGMAPS, 'default', 'owner', { propagationPolicy: 'Foreground' });
    await h.until(async () => (await h.list(CONFIGMAPS, 'default')).length === 0, 'owner gone');
    const pod = await h.client.get(PODS, 'default', 'held');
    assert.ok(pod.metadata?.deletionTimestamp, 'the dependent was deleted');
    assert.equal(pod.metadata?.uid, held.metadata?.uid);
  });

  it('several owners: a dependent goes only with the last of them', async () => {
    h = harness();
    h.start(createGarbageCollector(h.deps));
    const a = await h.client.create(CONFIGMAPS, { metadata: { name: 'a', namespace: 'default' } });
    const b = await h.client.create(CONFIGMAPS, { metadata: { name: 'b', namespace: 'default' } });
    await h.client.create(PODS, { metadata: { name: 'shared', namespace: 'default', ownerReferences: [ref(a, false), { ...ref(b, false), controller: false }] }, spec: {} });
    await h.idle();
    await h.client.delete(CONFIGMAPS, 'default', 'a');
    await h.until(async () => (await h.client.get(PODS, 'default', 'shared')).metadata?.ownerReferences?.length === 1, 'reference to a removed');
    assert.equal((await h.client.get(PODS, 'default', 'shared')).metadata?.ownerReferences?.[0]?.name, 'b');
    await h.client.delete(CONFIGMAPS, 'default', 'b');
    await h.until(async () => (await h.list(PODS, 'default')).length === 0, 'shared pod collected');
  });

  it('an owner of the same name but another uid is gone', async () => {
    h = harness();
    h.start(createGarbageCollector(h.deps));
    const old = await h.client.create(CONFIGMAPS, { metadata: { name: 'cfg', namespace: 'default' } });
    await h.client.delete(CONFIGMAPS, 'default', 'cfg');
    await h.client.create(CONFIGMAPS, { metadata: { name: 'cfg', namespace: 'default' } });
    await h.client.create(PODS, { metadata: { name: 'stale', namespace: 'default', ownerReferences: [ref(old)] }, spec: {} });
    await h.until(async () => (await h.list(PODS, 'default')).length === 0, 'stale dependent collected');
    assert.equal((await h.list(CONFIGMAPS, 'default')).length, 1, 'the new owner stays');
  });

  it('never deletes a dependent whose owner exists but is missing from the cache', async () => {
    h = harness();
    const resources = [CONFIGMAPS, PODS];
    // Informers that were never started: empty caches, as a lagging watch would leave them.
    const informers = new Map(resources.map((info) => [info, new Informer({ client: h.client, resource: info, indexers: { [OWNER_UID_INDEX]: ownerUidIndex, [UID_INDEX]: uidIndex } })]));
    const owner = await h.client.create(CONFIGMAPS, { metadata: { name: 'owner', namespace: 'default' } });
    const pod = await h.client.create(PODS, { metadata: { name: 'child', namespace: 'default', ownerReferences: [ref(owner)] }, spec: {} });
    informers.get(PODS)!.indexer.upsert(pod);
    const gc = new GarbageCollector({ client: h.client, log: () => undefined, resources, informer: (i) => informers.get(i)!, enqueue: () => undefined });
    await gc.reconcile(itemKey(PODS, 'default', 'child'));
    assert.equal((await h.list(PODS, 'default')).length, 1);
    // Once the owner is really gone, the same call collects it.
    await h.client.delete(CONFIGMAPS, 'default', 'owner');
    await gc.reconcile(itemKey(PODS, 'default', 'child'));
    assert.equal((await h.list(PODS, 'default')).length, 0);
  });

  it('owners of kinds skiff does not serve never make a dependent go', async () => {
    h = harness();
    h.start(createGarbageCollector(h.deps));
    await h.client.create(PODS, { metadata: { name: 'custom', namespace: 'default', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'nope' }] }, spec: {} });
    await h.idle();
    assert.equal((await h.list(PODS, 'default')).length, 1);
  });
});
