// GenericRegistry.list with a field selector that names the object (metadata.name, as `kubectl
// wait` sends) or the namespace (metadata.namespace): the same answers as a full scan, reading one
// key, or one namespace's keys, from the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ListOptions as StoreListOptions, ListResult as StoreListResult } from '../storage/store.js';
import { MemoryStore } from '../storage/memory.js';
import { RegistrySet } from './registry-set.js';

const config = { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767] as const, defaultTolerationSeconds: 300 };

async function setUp() {
  const store = new MemoryStore();
  const set = await RegistrySet.open({ store, config });
  await set.bootstrap();
  const reg = set.get('', 'v1', 'configmaps')!;
  for (const ns of ['ns1', 'ns2']) {
    await set.get('', 'v1', 'namespaces')!.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const name of ['a', 'a-2', 'b-2', 'c']) {
      await reg.create(ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { tier: name === 'c' ? 'x' : 'y' } }, data: { v: `${ns}/${name}` } });
    }
  }
  // every store read from here on: the prefix asked for and how many keys came back
  const reads: { prefix: string; keys: number }[] = [];
  const list = store.list.bind(store);
  store.list = async (prefix: string, opts?: StoreListOptions): Promise<StoreListResult> => {
    const r = await list(prefix, opts);
    reads.push({ prefix, keys: r.kvs.length });
    return r;
  };
  const names = async (ns: string | undefined, opts: Parameters<typeof reg.list>[1]) => (await reg.list(ns, opts)).items.map((e) => `${e.object.metadata?.namespace}/${e.object.metadata?.name}`);
  return { store, reg, reads, names };
}

test('metadata.name in a namespace reads that one key; a name that is only a prefix of others finds nothing', async () => {
  const { store, reg, reads, names } = await setUp();
  try {
    assert.deepEqual(await names('ns1', { fieldSelector: 'metadata.name=a' }), ['ns1/a']);
    assert.deepEqual(reads, [{ prefix: '/registry/core/configmaps/ns1/a', keys: 1 }]);
    assert.deepEqual(await names('ns1', { fieldSelector: 'metadata.name=b' }), []);
    assert.deepEqual(await names('ns1', { fieldSelector: 'metadata.name=zz' }), []);
    assert.deepEqual(await names('ns1', { fieldSelector: 'metadata.name==c', labelSelector: 'tier=x' }), ['ns1/c']);
    assert.deepEqual(await names('ns1', { fieldSelector: 'metadata.name=c', labelSelector: 'tier=y' }), [], 'the label selector still applies');
    assert.deepEqual(await names('ns1', { fieldSelector: 'metadata.name=c,metadata.namespace=ns2' }), [], 'so does the rest of the field selector');
    assert.ok(reads.every((r) => r.keys <= 1), JSON.stringify(reads));
    const res = await reg.list('ns1', { fieldSelector: 'metadata.name=a' });
    assert.equal(res.resourceVersion, String(store.currentRevision()));
    assert.equal(res.continue, undefined);
  } finally {
    await store.close();
  }
});

test('metadata.namespace narrows a cluster-wide list to that namespace; with metadata.name, to one key', async () => {
  const { store, reads, names } = await setUp();
  try {
    assert.deepEqual(await names(undefined, { fieldSelector: 'metadata.namespace=ns2' }), ['ns2/a', 'ns2/a-2', 'ns2/b-2', 'ns2/c']);
    assert.deepEqual(reads.map((r) => r.prefix), ['/registry/core/configmaps/ns2/']);
    reads.length = 0;
    assert.deepEqual(await names(undefined, { fieldSelector: 'metadata.namespace=ns2,metadata.name=a-2' }), ['ns2/a-2']);
    assert.deepEqual(reads, [{ prefix: '/registry/core/configmaps/ns2/a-2', keys: 1 }]);
    // a name without a namespace: every namespace's object of that name (a scan)
    assert.deepEqual(await names(undefined, { fieldSelector: 'metadata.name=a' }), ['ns1/a', 'ns2/a']);
    assert.deepEqual(await names(undefined, { fieldSelector: 'metadata.namespace!=ns2,metadata.name=c' }), ['ns1/c']);
  } finally {
    await store.close();
  }
});

test('metadata.name with resourceVersion: Exact reads the object as it was then; a future resourceVersion is a Timeout', async () => {
  const { store, reg, names } = await setUp();
  try {
    const before = String(store.currentRevision());
    const live = (await reg.get('ns1', 'a')).object;
    await reg.replace('ns1', 'a', { ...live, data: { v: 'changed' } });
    const then = await reg.list('ns1', { fieldSelector: 'metadata.name=a', resourceVersion: before, resourceVersionMatch: 'Exact' });
    assert.deepEqual(then.items.map((e) => e.object.data), [{ v: 'ns1/a' }]);
    assert.equal(then.resourceVersion, before);
    const now = await reg.list('ns1', { fieldSelector: 'metadata.name=a', resourceVersion: '0' });
    assert.deepEqual(now.items.map((e) => e.object.data), [{ v: 'changed' }]);
    await assert.rejects(reg.list('ns1', { fieldSelector: 'metadata.name=a', resourceVersion: String(store.currentRevision() + 100) }), /Too large resource version/);
    await reg.delete('ns1', 'a');
    assert.deepEqual(await names('ns1', { fieldSelector: 'metadata.name=a' }), []);
  } finally {
    await store.close();
  }
});
