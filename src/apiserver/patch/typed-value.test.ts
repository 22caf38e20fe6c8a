import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, type FieldPath } from './field-set.js';
import { compareValues, mergeApplied, removeAt, toFieldSet, valueAt, withNamedFields } from './typed-value.js';
import { deploymentSchema } from './test-schema.js';

const sorted = (s: FieldSet): FieldPath[] => s.sorted();
const WEB = 'k:{"name":"web"}';
const PORT80 = 'k:{"containerPort":80,"protocol":"TCP"}';
const tpl = (spec: Record<string, unknown>) => ({ spec: { template: { spec } } });
const C = ['f:spec', 'f:template', 'f:spec', 'f:containers'];

test('toFieldSet: leaves and list items, per list and map type', () => {
  const obj = {
    metadata: { name: 'web', labels: {}, finalizers: ['a'] },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { containers: [{ name: 'web', args: ['-v'], ports: [{ containerPort: 80 }] }], tolerations: [{ key: 'k' }] } },
    },
  };
  assert.deepEqual(sorted(toFieldSet(obj, deploymentSchema)), [
    ['f:metadata', 'f:name'],
    ['f:metadata', 'f:finalizers', 'v:"a"'],
    ['f:spec', 'f:replicas'],
    ['f:spec', 'f:selector'], // atomic map
    ['f:spec', 'f:template', 'f:spec', 'f:tolerations'], // atomic list; members of a level come first
    [...C, WEB],
    [...C, WEB, 'f:args'], // atomic list
    [...C, WEB, 'f:name'],
    [...C, WEB, 'f:ports', PORT80], // key default filled in
    [...C, WEB, 'f:ports', PORT80, 'f:containerPort'],
  ]);
  // without a schema, maps are granular and lists atomic
  assert.deepEqual(sorted(toFieldSet({ a: { b: 1 }, l: [{ name: 'x' }], e: {} }, undefined)), [['f:l'], ['f:a', 'f:b']]);
});

test('compareValues reports added, modified and removed paths', () => {
  const before = { metadata: { labels: { a: '1', b: '2' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'x' }] } } } };
  const after = {
    metadata: { labels: { a: '9' }, annotations: { n: 'v' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'y' }, { name: 'side', image: 'z' }] } } },
  };
  const d = compareValues(before, after, deploymentSchema);
  assert.deepEqual(sorted(d.modified), [['f:metadata', 'f:labels', 'f:a'], [...C, WEB, 'f:image']]);
  assert.deepEqual(sorted(d.removed), [['f:metadata', 'f:labels', 'f:b']]);
  assert.deepEqual(sorted(d.added), [
    ['f:metadata', 'f:annotations'],
    ['f:metadata', 'f:annotations', 'f:n'],
    [...C, 'k:{"name":"side"}'],
    [...C, 'k:{"name":"side"}', 'f:image'],
    [...C, 'k:{"name":"side"}', 'f:name'],
  ]);
  const same = compareValues(before, structuredClone(before), deploymentSchema);
  assert.ok(same.added.isEmpty() && same.modified.isEmpty() && same.removed.isEmpty());
});

test('mergeApplied merges maps and associative lists and replaces the rest', () => {
  const live = {
    metadata: { labels: { a: '1' }, finalizers: ['x'] },
    spec: {
      selector: { matchLabels: { a: '1', b: '2' } },
      template: { spec: { containers: [{ name: 'a', image: '1', imagePullPolicy: 'Always' }, { name: 'b' }, { name: 'c' }], tolerations: [{ key: 'k1' }] } },
    },
  };
  const applied = {
    metadata: { labels: { b: '2' }, finalizers: ['y'] },
    spec: { selector: { matchLabels: { a: '1' } }, template: { spec: { containers: [{ name: 'b', image: '2' }, { name: 'a', image: '3' }, { name: 'd' }], tolerations: [{ key: 'k2' }] } } },
  };
  assert.deepEqual(mergeApplied(structuredClone(live), applied, deploymentSchema), {
    metadata: { labels: { a: '1', b: '2' }, finalizers: ['x', 'y'] },
    spec: {
      selector: { matchLabels: { a: '1' } },
      template: {
        spec: {
          // applied items in applied order, live-only items where they were
          containers: [{ name: 'b', image: '2' }, { name: 'a', image: '3', imagePullPolicy: 'Always' }, { name: 'c' }, { name: 'd' }],
          tolerations: [{ key: 'k2' }],
        },
      },
    },
  });
});

test('withNamedFields adds struct fields above members, not map keys or list items', () => {
  const set = new FieldSet([['f:spec', 'f:strategy', 'f:type'], ['f:metadata', 'f:labels', 'f:a'], [...C, WEB, 'f:image']]);
  const got = withNamedFields(set, deploymentSchema);
  for (const p of [['f:spec'], ['f:spec', 'f:strategy'], ['f:metadata'], ['f:metadata', 'f:labels'], C, ['f:spec', 'f:template'], [...C, WEB, 'f:image']]) {
    assert.ok(got.has(p), JSON.stringify(p));
  }
  assert.ok(!got.has([...C, WEB]));
  assert.ok(!withNamedFields(new FieldSet([['f:a', 'f:b']]), undefined).has(['f:a']));
});

test('valueAt and removeAt follow field paths into lists', () => {
  const obj = { ...tpl({ containers: [{ name: 'web', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] }), metadata: { finalizers: ['a', 'b'] } };
  assert.equal(valueAt(obj, [...C, WEB, 'f:ports', PORT80, 'f:containerPort'], deploymentSchema), 80);
  assert.equal(valueAt(obj, [...C, 'k:{"name":"nope"}'], deploymentSchema), undefined);
  removeAt(obj, [...C, WEB, 'f:ports', PORT80], deploymentSchema);
  removeAt(obj, ['f:metadata', 'f:finalizers', 'v:"a"'], deploymentSchema);
  removeAt(obj, ['f:metadata', 'f:nothing', 'f:here'], deploymentSchema);
  assert.deepEqual(obj, { ...tpl({ containers: [{ name: 'web', ports: [{ containerPort: 53, protocol: 'UDP' }] }] }), metadata: { finalizers: ['b'] } });
});
