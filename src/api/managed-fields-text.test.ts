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
    // strings in managedFields that end like the array (a field manager may be named anything)
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [{ manager: 'x', fieldsV1: { 'k:{"name":"a]},\\"b"}': {} } }] }, spec: {} },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [{ manager: 'x]}' }] }, spec: {} },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', managedFields: [{ manager: 'x]},', operation: 'Update', fieldsV1: { 'f:x]}}': {} } }, { manager: ']}}"' }] }, spec: {} },
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
    // not last, with a string in them that ends like the array
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [{ manager: 'x]},', operation: 'Update' }], labels: { a: 'b' } }, spec: {} },
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

test('withoutManagedFieldsText on random objects: the text as it is, or exactly the object without managedFields', () => {
  // a fixed-seed generator (mulberry32): the same cases every run
  let seed = 20261127;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const chars = [']', '}', '{', '[', ',', '"', '\\', ':', 'a', 'managedFields', '"managedFields":[', '\u2028', 'é'];
  const str = (): string => Array.from({ length: Math.floor(random() * 6) }, () => pick(chars)).join('');
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 2 || r < 0.4) return str();
    if (r < 0.55) return Math.floor(random() * 100);
    if (r < 0.75) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, () => [str(), value(depth + 1)]));
  };
  let cut = 0;
  for (let n = 0; n < 3000; n++) {
    const meta: Record<string, unknown> = {};
    if (random() < 0.8) meta.name = str();
    if (random() < 0.5) meta.annotations = { [str()]: str() };
    const entries = Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({ manager: str(), fieldsV1: { [str()]: {}, [`f:${str()}`]: { '.': {} } } }));
    if (random() < 0.9) meta.managedFields = entries;
    if (random() < 0.2) meta.labels = { [str()]: str() }; // after managedFields: not cut
    const o: Record<string, unknown> = { apiVersion: 'v1', kind: str(), metadata: meta };
    if (random() < 0.7) o.spec = { template: { metadata: { managedFields: entries } }, x: value(0) };
    const json = JSON.stringify(o);
    const out = withoutManagedFieldsText(json);
    if (out === json) continue;
    cut++;
    assert.deepEqual(JSON.parse(out), dropped(o), json);
  }
  assert.ok(cut > 1000, `only ${cut} of 3000 were cut`);
});
