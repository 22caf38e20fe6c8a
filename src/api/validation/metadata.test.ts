import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../field-errors.js';
import { maskTrailingDash, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './metadata.js';
import { isDNS1123Label, isDNS1123Subdomain } from './names.js';

const QNAME_RULE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const namespaced = { namespaced: true, nameFn: isDNS1123Subdomain };
const clusterScoped = { namespaced: false, nameFn: isDNS1123Subdomain };

test('validateLabels reports at the labels field, as Kubernetes does', () => {
  const cases: [unknown, string[]][] = [
    [undefined, []],
    [{}, []],
    [{ app: 'web', 'example.com/tier': '', 'a.b': 'c_d' }, []],
    [{ 'Bad Key': 'v' }, [`metadata.labels: Invalid value: "Bad Key": name part ${QNAME_RULE}`]],
    [{ app: 'bad value' }, [`metadata.labels: Invalid value: "bad value": ${VALUE_RULE}`]],
    [{ app: 'a'.repeat(64) }, [`metadata.labels: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`]],
    [{ app: 3 }, ['metadata.labels[app]: Invalid value: 3: must be a string']],
    [['a'], ['metadata.labels: Invalid value: ["a"]: must be a map of string keys to string values']],
  ];
  for (const [labels, want] of cases) assert.deepEqual(validateLabels(labels, 'metadata.labels').map(formatFieldError), want, JSON.stringify(labels));
});

test('validateAnnotations checks keys case-insensitively and the 256 KiB total', () => {
  const cases: [unknown, string[]][] = [
    [undefined, []],
    [{ 'kubectl.kubernetes.io/last-applied-configuration': '{}', Note: 'anything at all: even spaces' }, []],
    [{ 'Example.COM/Key': 'v' }, []],
    [{ 'bad key': 'v' }, [`metadata.annotations: Invalid value: "bad key": name part ${QNAME_RULE}`]],
    [{ big: 'x'.repeat(256 * 1024) }, ['metadata.annotations: Too long: must have at most 262144 bytes']],
    [{ a: 'x'.repeat(256 * 1024 - 1) }, []],
  ];
  for (const [annotations, want] of cases) {
    assert.deepEqual(validateAnnotations(annotations, 'metadata.annotations').map(formatFieldError), want);
  }
});

test('validateObjectMeta', () => {
  const cases: [string, unknown, typeof namespaced, string[]][] = [
    ['valid namespaced', { name: 'web', namespace: 'default' }, namespaced, []],
    ['valid cluster-scoped', { name: 'node-1' }, clusterScoped, []],
    ['missing metadata', undefined, clusterScoped, ['metadata.name: Required value: name or generateName is required']],
    ['missing name', { namespace: 'default' }, namespaced, ['metadata.name: Required value: name or generateName is required']],
    ['bad name', { name: 'Web', namespace: 'default' }, namespaced, [`metadata.name: Invalid value: "Web": ${SUBDOMAIN_RULE}`]],
    ['generateName with trailing dash', { name: 'web-x7k2p', generateName: 'web-', namespace: 'default' }, namespaced, []],
    ['bad generateName', { name: 'web-x7k2p', generateName: 'Web-', namespace: 'default' }, namespaced, [`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_RULE}`]],
    ['namespace required', { name: 'web' }, namespaced, ['metadata.namespace: Required value']],
    [
      'bad namespace',
      { name: 'web', namespace: 'a.b' },
      namespaced,
      ['metadata.namespace: Invalid value: "a.b": must not contain dots'],
    ],
    ['namespace forbidden', { name: 'node-1', namespace: 'default' }, clusterScoped, ['metadata.namespace: Forbidden: not allowed on this type']],
    ['negative generation', { name: 'n', generation: -1 }, clusterScoped, ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']],
    ['bad label', { name: 'n', labels: { 'Bad Key': 'v' } }, clusterScoped, [`metadata.labels: Invalid value: "Bad Key": name part ${QNAME_RULE}`]],
    ['bad annotation', { name: 'n', annotations: { '-x': 'v' } }, clusterScoped, [`metadata.annotations: Invalid value: "-x": name part ${QNAME_RULE}`]],
    ['finalizers', { name: 'n', finalizers: ['kubernetes', 'example.com/cleanup'] }, clusterScoped, []],
    ['bad finalizer', { name: 'n', finalizers: ['bad finalizer'] }, clusterScoped, [`metadata.finalizers: Invalid value: "bad finalizer": name part ${QNAME_RULE}`]],
    [
      'orphan and foreground',
      { name: 'n', finalizers: ['orphan', 'foregroundDeletion'] },
      clusterScoped,
      ['metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set'],
    ],
    [
      'valid owner',
      { name: 'n', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true }] },
      clusterScoped,
      [],
    ],
    [
      'owner missing fields',
      { name: 'n', ownerReferences: [{}] },
      clusterScoped,
      [
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": name must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
      ],
    ],
    [
      'owner apiVersion without version',
      { name: 'n', ownerReferences: [{ apiVersion: 'a/b/c', kind: 'K', name: 'x', uid: 'u' }] },
      clusterScoped,
      ['metadata.ownerReferences.apiVersion: Invalid value: "a/b/c": version must not be empty'],
    ],
    [
      'event owner',
      { name: 'n', ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }] },
      clusterScoped,
      ['metadata.ownerReferences: Invalid value: {"apiVersion":"v1","kind":"Event","name":"e","uid":"u"}: /v1, Kind=Event is disallowed from being an owner'],
    ],
  ];
  for (const [name, meta, opts, want] of cases) {
    assert.deepEqual(validateObjectMeta(meta, opts).map(formatFieldError), want, name);
  }
});

test('validateObjectMeta allows only one controller owner', () => {
  const refs = [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
  ];
  const errs = validateObjectMeta({ name: 'p', ownerReferences: refs }, clusterScoped);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'metadata.ownerReferences');
  assert.equal(errs[0]!.detail, 'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b');
});

test('validateObjectMeta uses the field prefix and name function given', () => {
  assert.deepEqual(
    validateObjectMeta({ name: 'a.b' }, { namespaced: false, nameFn: isDNS1123Label }, 'spec.template.metadata').map(formatFieldError),
    ['spec.template.metadata.name: Invalid value: "a.b": must not contain dots'],
  );
});

test('maskTrailingDash reproduces Kubernetes', () => {
  assert.equal(maskTrailingDash('web-'), 'wea');
  assert.equal(maskTrailingDash('-'), '-');
  assert.equal(maskTrailingDash('web'), 'web');
});

test('validateObjectMetaUpdate refuses changes to immutable metadata', () => {
  const old = { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z', generation: 2, resourceVersion: '5' };
  const cases: [string, unknown, unknown, string[]][] = [
    ['unchanged', { ...old }, old, []],
    ['labels may change', { ...old, labels: { a: 'b' } }, old, []],
    ['name', { ...old, name: 'other' }, old, ['metadata.name: Invalid value: "other": field is immutable']],
    ['namespace', { ...old, namespace: 'kube-system' }, old, ['metadata.namespace: Invalid value: "kube-system": field is immutable']],
    ['uid', { ...old, uid: 'u2' }, old, ['metadata.uid: Invalid value: "u2": field is immutable']],
    [
      'creationTimestamp',
      { ...old, creationTimestamp: '2025-01-01T00:00:00Z' },
      old,
      ['metadata.creationTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable'],
    ],
    ['absent and empty are the same', { name: 'n', namespace: '' }, { name: 'n' }, []],
    ['generation decremented', { ...old, generation: 1 }, old, ['metadata.generation: Invalid value: 1: must not be decremented']],
    [
      'deletionTimestamp set by a client',
      { ...old, deletionTimestamp: '2024-02-01T00:00:00Z' },
      old,
      ['metadata.deletionTimestamp: Invalid value: "2024-02-01T00:00:00Z": field is immutable'],
    ],
    [
      'no new finalizers while deleting',
      { ...old, deletionTimestamp: 'T', finalizers: ['a', 'c', 'b'] },
      { ...old, deletionTimestamp: 'T', finalizers: ['a'] },
      ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b", "c"}'],
    ],
    ['finalizers may be removed while deleting', { ...old, deletionTimestamp: 'T' }, { ...old, deletionTimestamp: 'T', finalizers: ['a'] }, []],
  ];
  for (const [name, n, o, want] of cases) {
    assert.deepEqual(validateObjectMetaUpdate(n, o).map(formatFieldError), want, name);
  }
});
