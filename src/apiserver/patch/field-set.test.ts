import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldElement, FieldSet, fromFieldsV1, keyElement, pathString, toFieldsV1, valueElement, type FieldPath } from './field-set.js';

// as kube-apiserver writes it for a Deployment created by client-side apply
const CSA_FIELDS = {
  'f:metadata': {
    'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
    'f:labels': { '.': {}, 'f:app': {} },
  },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': {
            '.': {},
            'f:image': {},
            'f:name': {},
            'f:ports': {
              '.': {},
              'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} },
            },
          },
        },
      },
    },
  },
  'f:status': { 'f:conditions': { 'k:{"type":"Available"}': { '.': {}, 'f:status': {} } } },
};

test('FieldsV1 decodes to paths and encodes back byte for byte', () => {
  const set = fromFieldsV1(CSA_FIELDS);
  assert.ok(set.has(['f:spec', 'f:replicas']));
  assert.ok(set.has(['f:metadata', 'f:labels']), 'a "." makes the parent a member');
  assert.ok(!set.has(['f:spec']), 'a level without "." is not a member');
  assert.ok(set.has(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}', 'f:protocol']));
  assert.equal(JSON.stringify(toFieldsV1(set)), JSON.stringify(CSA_FIELDS));
});

test('toFieldsV1 orders fields, then keys, then values, with "." first', () => {
  const set = new FieldSet([
    ['f:spec', 'f:z'],
    ['f:spec', 'v:"b"'],
    ['f:spec', 'k:{"name":"a"}'],
    ['f:spec', 'f:a'],
    ['f:spec'],
    ['f:metadata', 'f:finalizers', 'v:"x"'],
  ]);
  assert.equal(
    JSON.stringify(toFieldsV1(set)),
    '{"f:metadata":{"f:finalizers":{"v:\\"x\\"":{}}},"f:spec":{".":{},"f:a":{},"f:z":{},"k:{\\"name\\":\\"a\\"}":{},"v:\\"b\\"":{}}}',
  );
});

test('fromFieldsV1 refuses what is not FieldsV1', () => {
  for (const bad of [null, [], 'x', { 'f:a': 1 }, { 'x:a': {} }, { 'k:{oops': {} }, { '.': {} }]) {
    assert.throws(() => fromFieldsV1(bad), Error, JSON.stringify(bad));
  }
});

test('path elements and their printed form', () => {
  const cases: [FieldPath, string][] = [
    [['f:spec', 'f:replicas'], '.spec.replicas'],
    [[fieldElement('metadata'), fieldElement('labels'), fieldElement('app.kubernetes.io/name')], '.metadata.labels.app.kubernetes.io/name'],
    [['f:spec', 'f:containers', keyElement({ name: 'web' }), 'f:image'], '.spec.containers[name="web"].image'],
    [['f:ports', keyElement({ protocol: 'TCP', containerPort: 80 })], '.ports[containerPort=80,protocol="TCP"]'],
    [['f:metadata', 'f:finalizers', valueElement('x')], '.metadata.finalizers[="x"]'],
    [['f:args', 'i:2'], '.args[2]'],
  ];
  for (const [path, want] of cases) assert.equal(pathString(path), want);
  assert.equal(keyElement({ protocol: 'TCP', containerPort: 80 }), 'k:{"containerPort":80,"protocol":"TCP"}');
});

test('FieldSet algebra and Kubernetes iteration order', () => {
  const a = new FieldSet([['f:a'], ['f:b', 'f:c'], ['f:b', 'f:d']]);
  const b = new FieldSet([['f:b', 'f:c'], ['f:e']]);
  assert.deepEqual([...a.union(b)].length, 4);
  assert.deepEqual([...a.intersection(b)], [['f:b', 'f:c']]);
  assert.deepEqual(a.difference(b).sorted(), [['f:a'], ['f:b', 'f:d']]);
  assert.ok(FieldSet.empty.isEmpty());
  const order = new FieldSet([['f:spec', 'f:template', 'f:x'], ['f:spec', 'f:replicas'], ['f:metadata', 'f:labels', 'f:a'], ['f:spec', 'f:a', 'f:b']]);
  assert.deepEqual(order.sorted(), [
    ['f:metadata', 'f:labels', 'f:a'],
    ['f:spec', 'f:replicas'],
    ['f:spec', 'f:a', 'f:b'],
    ['f:spec', 'f:template', 'f:x'],
  ]);
});

test('a set from a stored FieldsV1 answers like the decoded set, is decoded only when needed, and encodes as the stored object', () => {
  const stored = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } }, 'f:replicas': {} },
  };
  const lazy = FieldSet.fromOwnFieldsV1(stored);
  const eager = fromFieldsV1(stored);
  const web = keyElement({ name: 'web' });
  const probes: FieldPath[] = [
    ['f:metadata', 'f:labels'],
    ['f:metadata', 'f:labels', 'f:app'],
    ['f:metadata'],
    ['f:spec', 'f:containers', web],
    ['f:spec', 'f:containers', web, 'f:image'],
    ['f:spec', 'f:containers'],
    ['f:spec', 'f:replicas'],
    ['f:status'],
    ['f:spec', 'f:replicas', 'f:x'],
  ];
  for (const p of probes) assert.equal(lazy.has(p), eager.has(p), p.join('.'));
  assert.equal(lazy.isEmpty(), false);
  assert.equal(FieldSet.fromOwnFieldsV1({}).isEmpty(), true);

  // A difference that takes nothing away is the set itself, still encoded as the stored object.
  const status = new FieldSet([['f:status'], ['f:status', 'f:phase']]);
  assert.equal(lazy.difference(status), lazy);
  assert.equal(toFieldsV1(lazy.difference(status)), stored);
  // One that takes something away is a new set, encoded afresh.
  const rest = lazy.difference(new FieldSet([['f:spec', 'f:replicas']]));
  assert.notEqual(rest, lazy);
  assert.deepEqual(toFieldsV1(rest), toFieldsV1(eager.difference(new FieldSet([['f:spec', 'f:replicas']]))));
  assert.equal(rest.has(['f:spec', 'f:replicas']), false);
  assert.equal(lazy.size, eager.size);
  assert.deepEqual(lazy.sorted(), eager.sorted());
});
