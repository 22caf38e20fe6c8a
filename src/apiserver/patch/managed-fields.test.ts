import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ManagedFieldsEntry } from '../../api/object.js';
import {
  decodeManagedFields,
  defaultFieldManager,
  encodeManagedFields,
  updateManagedFields,
  type UpdateManagedFieldsOptions,
} from './managed-fields.js';
import { deploymentSchema } from './test-schema.js';

const T0 = new Date('2024-05-01T10:00:00.500Z');
const T1 = new Date('2024-05-01T11:00:00Z');
const opts = (manager: string, now: Date, extra: Partial<UpdateManagedFieldsOptions> = {}): UpdateManagedFieldsOptions => ({
  manager,
  operation: 'Update',
  apiVersion: 'apps/v1',
  now,
  schema: deploymentSchema,
  ...extra,
});

const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '1', labels: { app: 'web' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
  status: { replicas: 1 },
});

/** manager → FieldsV1 */
const owners = (o: KubeObject): Record<string, unknown> =>
  Object.fromEntries((o.metadata?.managedFields ?? []).map((e) => [`${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`, e.fieldsV1]));

test('defaultFieldManager takes the User-Agent up to its first slash', () => {
  const cases: [string, string][] = [
    ['kubectl/v1.32.0 (linux/amd64) kubernetes/abc', 'kubectl'],
    ['Go-http-client/1.1', 'Go-http-client'],
    ['plain', 'plain'],
    ['', ''],
    ['a\u0007b/1', 'ab'],
    ['x'.repeat(200), 'x'.repeat(128)],
  ];
  for (const [ua, want] of cases) assert.equal(defaultFieldManager(ua), want, ua);
});

test('updateManagedFields on create owns every field written, except identity and system metadata', () => {
  const obj = deployment();
  updateManagedFields(undefined, obj, opts('kubectl-create', T0));
  assert.deepEqual(obj.metadata?.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          '.': {},
          'f:replicas': {},
          'f:template': {
            '.': {},
            'f:spec': { '.': {}, 'f:containers': { '.': {}, 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    },
  ]);
});

test('updateManagedFields moves changed fields to the writer and drops removed ones', () => {
  const created = deployment();
  updateManagedFields(undefined, created, opts('kubectl-create', T0));

  const scaled = structuredClone(created);
  (scaled.spec as { replicas: number }).replicas = 3;
  delete scaled.metadata?.labels;
  updateManagedFields(created, scaled, opts('kubectl-scale', T1, { subresource: 'scale' }));
  const entries = scaled.metadata?.managedFields ?? [];
  assert.equal(entries.length, 2);
  assert.deepEqual(owners(scaled)['kubectl-scale/Update/scale'], { 'f:spec': { 'f:replicas': {} } });
  const create = owners(scaled)['kubectl-create/Update'] as Record<string, Record<string, unknown>>;
  assert.ok(create['f:spec'] && !('f:replicas' in create['f:spec']), 'replicas left kubectl-create');
  assert.ok(!('f:metadata' in create), 'removed labels left every manager');
  assert.equal(entries[0]?.manager, 'kubectl-create', 'older entry first');
  assert.equal(entries[0]?.time, '2024-05-01T10:00:00Z', 'an entry that lost fields keeps its time');
  assert.equal(entries[1]?.time, '2024-05-01T11:00:00Z');
});

test('updateManagedFields: a write that changes nothing changes no entry', () => {
  const obj = deployment();
  updateManagedFields(undefined, obj, opts('a', T0));
  const same = structuredClone(obj);
  const before = structuredClone(same.metadata?.managedFields);
  updateManagedFields(obj, same, opts('b', T1));
  assert.deepEqual(same.metadata?.managedFields, before);
  // twice with the same objects is the same as once
  const next = structuredClone(obj);
  (next.spec as { replicas: number }).replicas = 2;
  updateManagedFields(obj, next, opts('b', T1));
  const once = structuredClone(next.metadata?.managedFields);
  updateManagedFields(obj, next, opts('b', T1));
  assert.deepEqual(next.metadata?.managedFields, once);
});

test('updateManagedFields: where the starting managedFields come from', () => {
  const old = deployment();
  updateManagedFields(undefined, old, opts('creator', T0));
  const oldEntries = old.metadata?.managedFields ?? [];
  const custom: ManagedFieldsEntry[] = [{ manager: 'someone', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];

  const cases: { name: string; requested: unknown; subresource?: string; want: string[] }[] = [
    { name: 'request without managedFields keeps the live ones', requested: undefined, want: ['creator/Update'] },
    { name: 'empty list keeps the live ones', requested: [], want: ['creator/Update'] },
    { name: 'invalid list keeps the live ones', requested: [{ manager: 'x' }], want: ['creator/Update'] },
    { name: 'a valid list replaces them', requested: custom, want: ['someone/Apply'] },
    { name: '[{}] resets them', requested: [{}], want: [] },
    { name: 'a subresource write ignores the request', requested: custom, subresource: 'status', want: ['creator/Update'] },
  ];
  for (const c of cases) {
    const obj = structuredClone(old);
    if (obj.metadata) {
      if (c.requested === undefined) delete obj.metadata.managedFields;
      else obj.metadata.managedFields = c.requested as ManagedFieldsEntry[];
    }
    updateManagedFields(old, obj, opts('writer', T1, c.subresource ? { subresource: c.subresource } : {}));
    assert.deepEqual(Object.keys(owners(obj)).sort(), c.want, c.name);
  }
  assert.deepEqual(old.metadata?.managedFields, oldEntries, 'old object untouched');
});

test('updateManagedFields tracks status only through the status subresource', () => {
  const old = deployment();
  const viaMain = structuredClone(old);
  (viaMain.status as { replicas: number }).replicas = 5;
  updateManagedFields(old, viaMain, opts('x', T1));
  assert.equal(viaMain.metadata?.managedFields, undefined);

  const viaStatus = structuredClone(old);
  (viaStatus.status as { replicas: number }).replicas = 5;
  updateManagedFields(old, viaStatus, opts('controller', T1, { subresource: 'status' }));
  assert.deepEqual(owners(viaStatus), { 'controller/Update/status': { 'f:status': { 'f:replicas': {} } } });
});

test('managedFields encoding: Apply entries first, then by time and name; invalid lists are refused', () => {
  const entries: ManagedFieldsEntry[] = [
    { manager: 'b', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:02Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:a': {} } },
    { manager: 'c', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:b': {} } },
    { manager: 'z', operation: 'Apply', apiVersion: 'v1', time: '2024-01-01T00:00:09Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:c': {} } },
    { manager: 'a', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:d': {} }, subresource: 'status' },
  ];
  const decoded = decodeManagedFields(entries);
  assert.ok(decoded);
  assert.deepEqual(
    encodeManagedFields(decoded).map((e) => e.manager),
    ['z', 'a', 'c', 'b'],
  );
  for (const bad of [{}, 'x', [{ manager: 'm', operation: 'Patch', apiVersion: 'v1', fieldsType: 'FieldsV1' }], [{ manager: 'm', operation: 'Update', apiVersion: '', fieldsType: 'FieldsV1' }], [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV2' }], [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { bad: {} } }]]) {
    assert.equal(decodeManagedFields(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(decodeManagedFields(undefined)?.size, 0);
});

test('a create records the same fields as comparing against an empty object', async () => {
  const { schemaLookup } = await import('../../api/openapi/definitions.js');
  const podSchema = schemaLookup.forKind('', 'v1', 'Pod');
  const cases: [KubeObject, UpdateManagedFieldsOptions][] = [
    [deployment(), opts('kubectl-create', T0)],
    [{ ...deployment(), metadata: { name: 'bare' } }, opts('kubectl-create', T0)],
    [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', generation: 1 } }, opts('m', T0, { schema: undefined })],
    [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default', labels: { a: 'b' }, finalizers: ['x/y'], managedFields: [] },
        spec: {
          containers: [
            { name: 'c', image: 'i', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }], env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }], resources: {} },
          ],
          tolerations: [{ key: 'k', operator: 'Exists' }],
          nodeSelector: {},
        },
        status: { phase: 'Pending' },
      },
      opts('bench', T1, { apiVersion: 'v1', schema: podSchema }),
    ],
    [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'q', annotations: { 'a/b': 'c' } },
        spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], env: [{ name: 'B' }, { name: 'A', value: '1' }], command: ['x', 'y'] }], tolerations: [] },
      },
      opts('bench', T1, { apiVersion: 'v1', schema: podSchema }),
    ],
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: { odd: 'name' } as unknown as string } }, opts('m', T0, { apiVersion: 'v1', schema: podSchema })],
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'only-untracked', namespace: 'ns', uid: 'u' } }, opts('m', T0, { apiVersion: 'v1', schema: podSchema })],
  ];
  for (const [o, options] of cases) {
    const created = structuredClone(o);
    const compared = structuredClone(o);
    updateManagedFields(undefined, created, options);
    updateManagedFields({}, compared, options);
    assert.deepEqual(created.metadata?.managedFields, compared.metadata?.managedFields);
    assert.equal(JSON.stringify(created), JSON.stringify(compared));
  }
});
