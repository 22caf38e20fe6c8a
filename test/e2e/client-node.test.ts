// The official @kubernetes/client-node library against a real `skiff server`: list, create and
// an informer that sees changes.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startSkiff, type Skiff } from './harness.js';

describe('@kubernetes/client-node against skiff server', () => {
  let s: Skiff;
  let kc: k8s.KubeConfig;
  before(async () => {
    s = await startSkiff({ args: ['--storage', 'memory'] });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(s.kubeconfig);
  });
  after(async () => {
    await s?.destroy();
  });

  it('lists namespaces and creates a ConfigMap', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const nss = await core.listNamespace();
    assert.ok(nss.items.some((n) => n.metadata?.name === 'kube-system'));
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'from-client' }, data: { a: 'b' } } });
    assert.equal(cm.metadata?.name, 'from-client');
    assert.ok(Number(cm.metadata?.resourceVersion) > 0);
    const got = await core.readNamespacedConfigMap({ name: 'from-client', namespace: 'default' });
    assert.deepEqual(got.data, { a: 'b' });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'missing', namespace: 'default' }), (e: unknown) => (e as { code?: number }).code === 404);
  });

  it('an informer sees adds, updates and deletes', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf' } } });
      await core.patchNamespacedConfigMap(
        { name: 'inf', namespace: 'default', body: { data: { x: '1' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ name: 'inf', namespace: 'default' });
      const deadline = Date.now() + 5000;
      while (!seen.includes('delete:inf') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(seen.includes('add:inf'), seen.join(' '));
      assert.ok(seen.includes('update:inf'), seen.join(' '));
      assert.ok(seen.includes('delete:inf'), seen.join(' '));
      assert.ok(informer.list('default').every((o) => o.metadata?.name !== 'inf'));
    } finally {
      await informer.stop();
    }
  });
});
