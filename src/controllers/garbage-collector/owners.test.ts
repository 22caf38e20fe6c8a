// The ownership-graph helpers: which resources are collected, how references resolve, item keys.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RESOURCES } from '../../api/resources.js';
import { classifyOwners, collectedResources, itemKey, ownerUidIndex, parseItemKey, resourceForRef } from './owners.js';

describe('garbage collector graph helpers', () => {
  const collected = collectedResources();

  it('collects every deletable, watchable resource but events', () => {
    const names = collected.map((r) => `${r.plural}.${r.group}`);
    for (const n of ['pods.', 'replicasets.apps', 'deployments.apps', 'jobs.batch', 'cronjobs.batch', 'endpointslices.discovery.k8s.io', 'endpoints.', 'services.', 'configmaps.', 'secrets.', 'leases.coordination.k8s.io', 'nodes.', 'namespaces.']) {
      assert.ok(names.includes(n), n);
    }
    assert.ok(!names.includes('events.') && !names.includes('events.events.k8s.io'));
  });

  it('resolves references by group and kind, any served version', () => {
    const cases: [string, string, string | undefined][] = [
      ['apps/v1', 'ReplicaSet', 'replicasets'],
      ['apps/v1beta2', 'Deployment', 'deployments'],
      ['v1', 'Node', 'nodes'],
      ['batch/v1', 'CronJob', 'cronjobs'],
      ['example.com/v1', 'Widget', undefined],
      ['v1', 'ReplicaSet', undefined],
    ];
    for (const [apiVersion, kind, want] of cases) assert.equal(resourceForRef({ apiVersion, kind }, RESOURCES)?.plural, want, `${apiVersion} ${kind}`);
  });

  it('item keys round-trip', () => {
    const rs = resourceForRef({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, collected)!;
    const node = resourceForRef({ apiVersion: 'v1', kind: 'Node' }, collected)!;
    assert.equal(itemKey(rs, 'default', 'web-1'), 'apps/v1/replicasets|default/web-1');
    assert.deepEqual(parseItemKey('apps/v1/replicasets|default/web-1', collected), { info: rs, namespace: 'default', name: 'web-1' });
    assert.equal(itemKey(node, undefined, 'n1'), 'v1/nodes|n1');
    assert.deepEqual(parseItemKey('v1/nodes|n1', collected), { info: node, namespace: undefined, name: 'n1' });
    assert.equal(parseItemKey('v9/widgets|x', collected), undefined);
  });

  it('indexes owners by uid and sorts owners by state', () => {
    assert.deepEqual(ownerUidIndex({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'A', name: 'a', uid: 'u1' }, { apiVersion: 'v1', kind: 'B', name: 'b', uid: 'u2' }] } }), ['u1', 'u2']);
    const refs = ['a', 'b', 'c'].map((name) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, uid: name }));
    const v = classifyOwners(refs, ['solid', 'dangling', 'waiting']);
    assert.deepEqual([v.solid, v.dangling, v.waiting].map((l) => l.map((r) => r.name)), [['a'], ['b'], ['c']]);
  });
});
