import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SchemaLookup } from '../../api/openapi/schema-lookup.js';
import type { KubeObject } from '../../api/object.js';
import { trackManagedFields } from './managed-fields-observer.js';

const noSchemas = { forKind: () => undefined } as unknown as SchemaLookup;
const now = () => new Date('2026-11-26T22:00:00Z');

function pod(nodeName?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) } } as KubeObject;
}

test('an Update write records its manager; a pods/binding write records none (as Kubernetes, which binds past the field manager)', () => {
  const observe = trackManagedFields(noSchemas, now);
  const created = pod();
  observe(undefined, created, { manager: 'kubectl-create' });
  assert.deepEqual(created.metadata?.managedFields?.map((e) => e.manager), ['kubectl-create']);

  const bound = { ...pod('node-1'), metadata: { ...created.metadata } } as KubeObject;
  observe(created, bound, { manager: 'kube-scheduler', subresource: 'binding' });
  assert.deepEqual(bound.metadata?.managedFields?.map((e) => e.manager), ['kubectl-create']);

  const relabelled = { ...bound, metadata: { ...bound.metadata, labels: { a: 'c' } } } as KubeObject;
  observe(bound, relabelled, { manager: 'editor' });
  assert.deepEqual(relabelled.metadata?.managedFields?.map((e) => e.manager).sort(), ['editor', 'kubectl-create']);
});
