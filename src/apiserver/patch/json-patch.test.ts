import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';

const doc = () => ({
  metadata: { name: 'web', labels: { app: 'web', 'a/b': 'x', 'c~d': 'y' } },
  spec: { replicas: 1, args: ['a', 'b', 'c'], containers: [{ name: 'web', image: 'nginx:1' }] },
});

test('applyJsonPatch applies RFC 6902 operations', () => {
  const cases: { name: string; patch: unknown; want: (d: ReturnType<typeof doc>) => unknown }[] = [
    { name: 'add member', patch: [{ op: 'add', path: '/spec/paused', value: true }], want: (d) => ({ ...d, spec: { ...d.spec, paused: true } }) },
    { name: 'add replaces an existing member', patch: [{ op: 'add', path: '/spec/replicas', value: 3 }], want: (d) => ({ ...d, spec: { ...d.spec, replicas: 3 } }) },
    { name: 'add at index', patch: [{ op: 'add', path: '/spec/args/1', value: 'x' }], want: (d) => ({ ...d, spec: { ...d.spec, args: ['a', 'x', 'b', 'c'] } }) },
    { name: 'add with - appends', patch: [{ op: 'add', path: '/spec/args/-', value: 'z' }], want: (d) => ({ ...d, spec: { ...d.spec, args: ['a', 'b', 'c', 'z'] } }) },
    { name: 'add at length appends', patch: [{ op: 'add', path: '/spec/args/3', value: 'z' }], want: (d) => ({ ...d, spec: { ...d.spec, args: ['a', 'b', 'c', 'z'] } }) },
    { name: 'add without value stores null', patch: [{ op: 'add', path: '/spec/x' }], want: (d) => ({ ...d, spec: { ...d.spec, x: null } }) },
    { name: 'remove member', patch: [{ op: 'remove', path: '/spec/replicas' }], want: (d) => ({ ...d, spec: { args: d.spec.args, containers: d.spec.containers } }) },
    { name: 'remove element', patch: [{ op: 'remove', path: '/spec/args/0' }], want: (d) => ({ ...d, spec: { ...d.spec, args: ['b', 'c'] } }) },
    { name: 'negative index counts from the end', patch: [{ op: 'remove', path: '/spec/args/-1' }], want: (d) => ({ ...d, spec: { ...d.spec, args: ['a', 'b'] } }) },
    { name: 'replace element', patch: [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' }], want: (d) => ({ ...d, spec: { ...d.spec, containers: [{ name: 'web', image: 'nginx:2' }] } }) },
    { name: 'replace of an absent member adds it (as Kubernetes)', patch: [{ op: 'replace', path: '/spec/paused', value: false }], want: (d) => ({ ...d, spec: { ...d.spec, paused: false } }) },
    {
      name: '~1 and ~0 escapes',
      patch: [
        { op: 'replace', path: '/metadata/labels/a~1b', value: 'X' },
        { op: 'remove', path: '/metadata/labels/c~0d' },
      ],
      want: (d) => ({ ...d, metadata: { name: 'web', labels: { app: 'web', 'a/b': 'X' } } }),
    },
    { name: 'move', patch: [{ op: 'move', from: '/spec/replicas', path: '/spec/count' }], want: (d) => ({ metadata: d.metadata, spec: { args: d.spec.args, containers: d.spec.containers, count: 1 } }) },
    { name: 'move within a list', patch: [{ op: 'move', from: '/spec/args/0', path: '/spec/args/-' }], want: (d) => ({ ...d, spec: { ...d.spec, args: ['b', 'c', 'a'] } }) },
    { name: 'copy', patch: [{ op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/name' }], want: (d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, name: 'web' } } }) },
    { name: 'test passes then replace', patch: [{ op: 'test', path: '/spec/replicas', value: 1 }, { op: 'replace', path: '/spec/replicas', value: 2 }], want: (d) => ({ ...d, spec: { ...d.spec, replicas: 2 } }) },
    { name: 'test of a structure ignores key order', patch: [{ op: 'test', path: '/spec/containers/0', value: { image: 'nginx:1', name: 'web' } }], want: (d) => d },
    { name: 'test of an absent member against null passes', patch: [{ op: 'test', path: '/spec/paused', value: null }], want: (d) => d },
    { name: 'replace of the whole document', patch: [{ op: 'replace', path: '', value: { kind: 'X' } }], want: () => ({ kind: 'X' }) },
    { name: 'null patch changes nothing', patch: null, want: (d) => d },
    { name: 'empty patch changes nothing', patch: [], want: (d) => d },
  ];
  for (const c of cases) {
    const input = doc();
    assert.deepEqual(applyJsonPatch(input, c.patch), c.want(doc()), c.name);
    assert.deepEqual(input, doc(), `${c.name}: input untouched`);
  }
});

test('applyJsonPatch answers an inapplicable operation with 422 and the reason Kubernetes gives', () => {
  const cases: [string, unknown, string][] = [
    ['failing test', [{ op: 'test', path: '/spec/replicas', value: 5 }], 'testing value /spec/replicas failed: test failed'],
    ['test of a missing parent', [{ op: 'test', path: '/nope/x', value: 1 }], 'test operation does not apply: is missing path: /nope/x: missing value'],
    ['remove of an absent member', [{ op: 'remove', path: '/spec/paused' }], "error in remove for path: '/spec/paused': Unable to remove nonexistent key: paused: missing value"],
    ['remove under a missing parent', [{ op: 'remove', path: '/status/x' }], 'remove operation does not apply: doc is missing path: "/status/x": missing value'],
    ['add under a missing parent', [{ op: 'add', path: '/status/x', value: 1 }], 'add operation does not apply: doc is missing path: "/status/x": missing value'],
    ['add past the end', [{ op: 'add', path: '/spec/args/9', value: 1 }], "error in add for path: '/spec/args/9': Unable to access invalid index: 9: invalid index referenced"],
    [
      'add at a non-numeric index',
      [{ op: 'add', path: '/spec/args/x', value: 1 }],
      `error in add for path: '/spec/args/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`,
    ],
    ['remove out of range', [{ op: 'remove', path: '/spec/args/3' }], "error in remove for path: '/spec/args/3': Unable to access invalid index: 3: invalid index referenced"],
    ['replace out of range', [{ op: 'replace', path: '/spec/args/7', value: 'x' }], 'replace operation does not apply: doc is missing key: /spec/args/7: missing value'],
    ['replace under a missing parent', [{ op: 'replace', path: '/status/x', value: 1 }], 'replace operation does not apply: doc is missing path: /status/x: missing value'],
    ['move from a missing parent', [{ op: 'move', from: '/nope/a', path: '/b' }], 'move operation does not apply: doc is missing from path: /nope/a: missing value'],
    ['move of an absent member', [{ op: 'move', from: '/spec/nope', path: '/b' }], "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value"],
    ['move to a missing parent', [{ op: 'move', from: '/spec/replicas', path: '/nope/b' }], 'move operation does not apply: doc is missing destination path: /nope/b: missing value'],
    ['copy from an absent member', [{ op: 'copy', from: '/spec/nope', path: '/b' }], 'copy operation does not apply: doc is missing from path: /spec/nope: missing value'],
    ['unknown op', [{ op: 'frobnicate', path: '/a' }], 'Unexpected kind: frobnicate'],
    ['missing op', [{ path: '/a' }], 'Unexpected kind: unknown'],
    ['add without path', [{ op: 'add', value: 1 }], 'add operation failed to decode path: missing value'],
    ['replace without path', [{ op: 'replace', value: 1 }], 'replace operation failed to decode path: operation missing path field: missing value'],
    ['move without from', [{ op: 'move', path: '/a' }], 'move operation failed to decode from: operation, missing from field: missing value'],
    ['pointer without leading slash', [{ op: 'add', path: 'spec', value: 1 }], 'add operation does not apply: doc is missing path: "spec": missing value'],
    ['add to the whole document', [{ op: 'add', path: '', value: {} }], 'add operation does not apply: doc is missing path: "": missing value'],
  ];
  for (const [name, patch, cause] of cases) {
    assert.throws(
      () => applyJsonPatch(doc(), patch),
      (e: unknown) => {
        assert.ok(e instanceof ApiError, name);
        assert.equal(e.code, 422, name);
        assert.equal(e.reason, 'Invalid', name);
        assert.equal(e.message, 'the server rejected our request due to an error in our request', name);
        assert.deepEqual(e.details?.causes, [{ reason: 'UnexpectedServerResponse', message: cause }], name);
        return true;
      },
    );
  }
});

test('applyJsonPatch refuses a malformed patch with 400 and an oversized one with 413', () => {
  const cases: [unknown, number, string][] = [
    [{ op: 'add' }, 400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['x', 400, 'json: cannot unmarshal string into Go value of type jsonpatch.Patch'],
    [[1], 400, 'json: cannot unmarshal number into Go value of type jsonpatch.Operation'],
    [[['add']], 400, 'json: cannot unmarshal array into Go value of type jsonpatch.Operation'],
    [
      Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/spec/replicas', value: 1 })),
      413,
      'The allowed maximum operations in a JSON patch is 10000, got 10001',
    ],
  ];
  for (const [patch, code, message] of cases) {
    assert.throws(() => applyJsonPatch(doc(), patch), (e: unknown) => e instanceof ApiError && e.code === code && e.message === message, message);
  }
});

test('applyJsonPatch applies operations in order and fails as a whole', () => {
  const input = doc();
  assert.throws(() =>
    applyJsonPatch(input, [
      { op: 'replace', path: '/spec/replicas', value: 9 },
      { op: 'test', path: '/spec/replicas', value: 1 },
    ]),
  );
  assert.equal(input.spec.replicas, 1);
  assert.deepEqual(
    applyJsonPatch(input, [
      { op: 'add', path: '/spec/x', value: { y: [1] } },
      { op: 'add', path: '/spec/x/y/0', value: 0 },
    ]),
    { ...doc(), spec: { ...doc().spec, x: { y: [0, 1] } } },
  );
});
