// GenericRegistry.replace (PUT): which request objects the registry changes in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { MemoryStore } from '../storage/memory.js';
import { RegistrySet } from './registry-set.js';

const config = { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767] as const, defaultTolerationSeconds: 300 };

async function configMaps() {
  const store = new MemoryStore();
  const set = await RegistrySet.open({ store, config });
  await set.bootstrap();
  const reg = set.get('', 'v1', 'configmaps')!;
  const created = await reg.create('default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  return { reg, rv: created.object.metadata!.resourceVersion!, close: () => store.close() };
}

test('replace: an owned body that pins a resourceVersion is written as it is, without a copy', async () => {
  const { reg, rv, close } = await configMaps();
  try {
    const body: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: rv }, data: { a: '2' } };
    const { entry } = await reg.replace('default', 'c', body, { owned: true });
    assert.equal(entry.object.data && (entry.object.data as Record<string, string>).a, '2');
    assert.equal(body.metadata?.uid, entry.object.metadata?.uid, 'the registry completed the body it was handed');
  } finally {
    await close();
  }
});

test('replace: a body without a resourceVersion (which may be tried again) or not handed over stays as the caller sent it', async () => {
  const { reg, rv, close } = await configMaps();
  try {
    const unpinned: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '2' } };
    await reg.replace('default', 'c', unpinned, { owned: true });
    assert.deepEqual(unpinned, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '2' } });

    const live = (await reg.get('default', 'c')).object;
    const notOwned: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: live.metadata!.resourceVersion }, data: { a: '3' } };
    const before = structuredClone(notOwned);
    await reg.replace('default', 'c', notOwned);
    assert.deepEqual(notOwned, before);
    assert.notEqual(live.metadata!.resourceVersion, rv);
  } finally {
    await close();
  }
});
