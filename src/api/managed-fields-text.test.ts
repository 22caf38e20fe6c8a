import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { withoutManagedFieldsText } from './managed-fields-text.js';

const managedFields = [
  { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2026-11-27T12:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } } } },
  { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2026-11-27T12:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:phase': {} } }, subresource: 'status' },
];

/** What a parse-then-drop gives: the object without metadata.managedFields. */
function dropped(o: Record<string, unknown>): unknown {
  const { managedFields: _mf, ...meta } = o.metadata as Record<string, unknown>;
  return { ...o, metadata: meta };
}

test('withoutManagedFieldsText cuts managedFields out when they are the last member of the top-level metadata', () => {
  const objects: Record<string, unknown>[] = [
    // as the API server stores a pod: metadata first, managedFields last in it
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        resourceVersion: '42',
        name: 'web-1',
        namespace: 'default',
        labels: { app: 'web' },
        annotations: { note: 'braces { [ ] } and "quotes" and "managedFields":[ in a value', 'kubectl.kubernetes.io/last-applied-configuration': '{"metadata":{"managedFields":[]}}' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u', controller: true }],
        finalizers: ['a/b'],
        managedFields,
      },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
      status: { phase: 'Running' },
    },
    // metadata the last member of the object: the text ends with the cut's "]}}"
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', managedFields } },
    // an escaped backslash before a closing quote
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { path: 'C:\\' }, managedFields }, data: { k: '\\"' } },
  ];
  for (const o of objects) {
    const json = JSON.stringify(o);
    const cut = withoutManagedFieldsText(json);
    assert.ok(cut.length < json.length, `${String(o.kind)}: cut`);
    assert.deepEqual(JSON.parse(cut), dropped(o), String(o.kind));
  }
});

test('withoutManagedFieldsText returns the text as it is when the cut is not certain', () => {
  const unchanged: Record<string, unknown>[] = [
    // no managedFields at all
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
    // not the last member of metadata (a layout of older versions)
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields, labels: { a: 'b' } }, spec: {} },
    // managedFields alone in metadata
    { apiVersion: 'v1', kind: 'Pod', metadata: { managedFields }, spec: {} },
    // a "]" in one of their strings (a list key of an odd name), followed by what could look like the end
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [{ manager: 'x', fieldsV1: { 'k:{"name":"a]},\\"b"}': {} } }] }, spec: {} },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [{ manager: 'x]}' }] }, spec: {} },
    // only a nested metadata has managedFields (a template): never cut from there
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { metadata: { labels: { a: 'b' }, managedFields }, spec: {} } } },
  ];
  for (const o of unchanged) {
    const json = JSON.stringify(o);
    assert.equal(withoutManagedFieldsText(json), json, JSON.stringify(o.metadata).slice(0, 80));
  }
  for (const text of ['', 'not json', '{"metadata":{"name":"x","managedFields":[', '{"metadata":{"name":"x","managedFields":[]', '{"metadata":{"name":"x","managedFields":[]}']) {
    assert.equal(withoutManagedFieldsText(text), text);
  }
});
