import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { applyServerSide, LAST_APPLIED_ANNOTATION, type ApplyOptions } from './apply.js';
import { updateManagedFields } from './managed-fields.js';
import { deploymentSchema } from './test-schema.js';

type Json = Record<string, unknown>;
const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T11:00:00Z');
const T2 = new Date('2024-05-01T12:00:00Z');

const opts = (manager: string, now: Date, extra: Partial<ApplyOptions> = {}): ApplyOptions => ({
  manager,
  force: false,
  schema: deploymentSchema,
  now,
  apiVersion: 'apps/v1',
  ...extra,
});

/** The manifest a user applies. */
function manifest(change: (m: Json & { metadata: Json; spec: Json }) => void = () => undefined): KubeObject {
  const m = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } } as Json,
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }] }] },
      },
    } as Json,
  };
  change(m);
  return m;
}
const podSpec = (o: KubeObject | Json): Json => (((o.spec as Json).template as Json).spec as Json);
const container = (o: KubeObject | Json, i = 0): Json => (podSpec(o).containers as Json[])[i] as Json;

/** What the registry adds on create (so objects look stored). */
function stored(o: KubeObject): KubeObject {
  const s = structuredClone(o);
  Object.assign(s.metadata ?? {}, { uid: 'u1', resourceVersion: '7', namespace: 'default', creationTimestamp: '2024-05-01T09:00:00Z' });
  return s;
}

/** manager/operation[/subresource] → FieldsV1 */
const owners = (o: KubeObject): Record<string, unknown> =>
  Object.fromEntries((o.metadata?.managedFields ?? []).map((e) => [`${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`, e.fieldsV1]));

function conflictOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  assert.fail('expected a conflict');
}

/** A deployment created by client-side `kubectl apply` (last-applied annotation, Update manager). */
function clientSideApplied(): KubeObject {
  const m = manifest();
  const withAnnotation = structuredClone(m);
  (withAnnotation.metadata ??= {}).annotations = { [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(m)}\n` };
  const obj = stored(withAnnotation);
  updateManagedFields(undefined, obj, { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', now: T0, schema: deploymentSchema });
  return obj;
}

test('apply creates the object and records exactly the applied fields', () => {
  const applied = manifest((m) => (m.status = { replicas: 9 }));
  const obj = applyServerSide(undefined, applied, opts('kubectl', T0));
  assert.deepEqual({ ...obj, metadata: { ...obj.metadata, managedFields: undefined } }, { ...manifest(), metadata: { ...manifest().metadata, managedFields: undefined } }, 'status is ignored on the main resource');
  assert.deepEqual(obj.metadata?.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"web"}': {
                  '.': {},
                  'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                  'f:image': {},
                  'f:name': {},
                },
              },
            },
          },
        },
      },
    },
  ]);
  assert.deepEqual(applied.status, { replicas: 9 }, 'input untouched');
});

test('re-apply changes values, removes what the applier dropped, keeps what others own', () => {
  let live = stored(applyServerSide(undefined, manifest((m) => ((m.metadata.labels as Json).tier = 'fe')), opts('kubectl', T0)));
  // server defaults and another writer's field
  container(live).imagePullPolicy = 'IfNotPresent';
  const labelled = structuredClone(live);
  (labelled.metadata?.labels ?? {}).team = 'a';
  updateManagedFields(live, labelled, { manager: 'kubectl-label', operation: 'Update', apiVersion: 'v1', now: T0, schema: deploymentSchema });
  live = labelled;

  const next = manifest((m) => {
    container(m).image = 'nginx:2';
    container(m).env = [];
    (m.spec as Json).strategy = { type: 'Recreate' };
  });
  const out = applyServerSide(live, next, opts('kubectl', T1));
  assert.deepEqual(out.metadata?.labels, { app: 'web', team: 'a' }, 'tier dropped by its only owner; team belongs to kubectl-label');
  // env: [] sets nothing (empty lists are not tracked, as in Kubernetes), so the dropped env goes whole
  assert.deepEqual(container(out), { name: 'web', image: 'nginx:2', imagePullPolicy: 'IfNotPresent' }, 'unowned defaults stay');
  assert.deepEqual((out.spec as Json).strategy, { type: 'Recreate' });
  assert.equal(out.metadata?.uid, 'u1');
  assert.equal(out.metadata?.managedFields?.find((e) => e.manager === 'kubectl')?.time, '2024-05-01T11:00:00Z');

  // dropping a struct removes it whole
  const dropped = applyServerSide(stored(out), manifest(), opts('kubectl', T2));
  assert.equal((dropped.spec as Json).strategy, undefined);
});

test('dropping every tracked metadata field never removes the object\'s identity', () => {
  const live = stored(applyServerSide(undefined, manifest(), opts('kubectl', T0)));
  const out = applyServerSide(live, manifest((m) => delete m.metadata.labels), opts('kubectl', T1));
  assert.deepEqual(out.metadata && { ...out.metadata, managedFields: undefined }, {
    name: 'web',
    uid: 'u1',
    resourceVersion: '7',
    namespace: 'default',
    creationTimestamp: '2024-05-01T09:00:00Z',
    managedFields: undefined,
  });
  assert.equal(out.apiVersion, 'apps/v1');
});

test('a field applied by two managers survives when one of them drops it', () => {
  const a = applyServerSide(undefined, manifest(), opts('kubectl', T0));
  const b = applyServerSide(stored(a), manifest(), opts('other', T1));
  assert.ok((owners(b)['other/Apply'] as Json)['f:spec'], 'same values: shared ownership, no conflict');
  const c = applyServerSide(b, manifest((m) => delete m.spec.replicas), opts('kubectl', T2));
  assert.equal((c.spec as Json).replicas, 3);
  const kubectlSpec = (owners(c)['kubectl/Apply'] as Json)['f:spec'] as Json;
  assert.ok(!('f:replicas' in kubectlSpec));
});

test('changing a field another manager owns is a 409 in Kubernetes wording', () => {
  const live = clientSideApplied();
  const e = conflictOf(() => applyServerSide(live, manifest((m) => (m.spec.replicas = 5)), opts('my-tool', T1)));
  assert.equal(e.code, 409);
  assert.equal(e.reason, 'Conflict');
  assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  assert.deepEqual(e.details, {
    causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }],
  });

  const many = conflictOf(() =>
    applyServerSide(
      live,
      manifest((m) => {
        m.spec.replicas = 5;
        container(m).image = 'nginx:2';
      }),
      opts('my-tool', T1),
    ),
  );
  assert.equal(
    many.message,
    'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
  );
  assert.equal(many.details?.causes?.length, 2);
});

test('--force-conflicts moves ownership to the applier', () => {
  const live = clientSideApplied();
  const out = applyServerSide(live, manifest((m) => (m.spec.replicas = 5)), opts('my-tool', T1, { force: true }));
  assert.equal((out.spec as Json).replicas, 5);
  const csaSpec = (owners(out)['kubectl-client-side-apply/Update'] as Json)['f:spec'] as Json;
  assert.ok(!('f:replicas' in csaSpec));
  assert.ok('f:replicas' in ((owners(out)['my-tool/Apply'] as Json)['f:spec'] as Json));
});

test('kubectl apply --server-side takes over from client-side apply while the last-applied annotation matches', () => {
  const live = clientSideApplied();
  const next = manifest((m) => (m.spec.replicas = 5));
  const out = applyServerSide(live, next, opts('kubectl', T1));
  assert.equal((out.spec as Json).replicas, 5);
  assert.ok('f:replicas' in ((owners(out)['kubectl/Apply'] as Json)['f:spec'] as Json));
  assert.equal(out.metadata?.annotations?.[LAST_APPLIED_ANNOTATION], `${JSON.stringify(sortKeys(next))}\n`, 'annotation follows the applied manifest');

  // once the live value differs from the annotation, the field is no longer client-side apply's to give
  const drifted = structuredClone(live);
  (drifted.spec as Json).replicas = 4;
  updateManagedFields(live, drifted, { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', now: T1, schema: deploymentSchema });
  const e = conflictOf(() => applyServerSide(drifted, next, opts('kubectl', T2)));
  assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
});

test('conflict with kubectl scale names the subresource; force takes the field back', () => {
  const live = stored(applyServerSide(undefined, manifest(), opts('kubectl', T0)));
  const scaled = structuredClone(live);
  (scaled.spec as Json).replicas = 10;
  updateManagedFields(live, scaled, { manager: 'kubectl-scale', operation: 'Update', apiVersion: 'apps/v1', now: T1, subresource: 'scale', schema: deploymentSchema });

  // re-applying the unchanged manifest would scale back: conflict
  const e = conflictOf(() => applyServerSide(scaled, manifest(), opts('kubectl', T2)));
  assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-scale" with subresource "scale" using apps/v1: .spec.replicas');
  // dropping replicas from the manifest leaves the scaled value alone
  const kept = applyServerSide(scaled, manifest((m) => delete m.spec.replicas), opts('kubectl', T2));
  assert.equal((kept.spec as Json).replicas, 10);
  // forcing takes it back and the scale entry, now empty, disappears
  const forced = applyServerSide(scaled, manifest(), opts('kubectl', T2, { force: true }));
  assert.equal((forced.spec as Json).replicas, 3);
  assert.deepEqual(Object.keys(owners(forced)), ['kubectl/Apply']);
});

test('an object that never had managedFields: its fields belong to before-first-apply', () => {
  const live = stored(manifest());
  const same = applyServerSide(live, manifest(), opts('kubectl', T1));
  assert.deepEqual(Object.keys(owners(same)).sort(), ['before-first-apply/Update', 'kubectl/Apply']);
  const e = conflictOf(() => applyServerSide(live, manifest((m) => (m.spec.replicas = 1)), opts('kubectl', T1)));
  assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
});

test('sets merge by value and lists by key', () => {
  const live = stored(applyServerSide(undefined, manifest((m) => (m.metadata.finalizers = ['mine'])), opts('kubectl', T0)));
  const withOther = structuredClone(live);
  withOther.metadata?.finalizers?.push('theirs');
  updateManagedFields(live, withOther, { manager: 'controller', operation: 'Update', apiVersion: 'apps/v1', now: T0, schema: deploymentSchema });
  const out = applyServerSide(
    withOther,
    manifest((m) => {
      m.metadata.finalizers = ['new'];
      podSpec(m).containers = [{ name: 'side', image: 'busybox' }];
    }),
    opts('kubectl', T1),
  );
  assert.deepEqual(out.metadata?.finalizers, ['theirs', 'new']);
  assert.deepEqual(podSpec(out).containers, [{ name: 'side', image: 'busybox' }], 'web was only kubectl\'s: removed');
});

test('a no-op re-apply keeps the entry time', () => {
  const live = stored(applyServerSide(undefined, manifest(), opts('kubectl', T0)));
  const out = applyServerSide(live, manifest(), opts('kubectl', T2));
  assert.deepEqual(out, live);
});

test('apply refuses configurations of another version or kind, or with managedFields', () => {
  const live = stored(applyServerSide(undefined, manifest(), opts('kubectl', T0)));
  const cases: [KubeObject, string][] = [
    [{ ...manifest(), apiVersion: 'apps/v1beta1' }, 'Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1'],
    [{ ...manifest(), apiVersion: undefined }, 'Incorrect version specified in apply patch. Specified patch version: , expected: apps/v1'],
    [{ ...manifest(), kind: 'StatefulSet' }, 'Incorrect kind specified in apply patch. Specified patch kind: StatefulSet, expected: Deployment'],
    [manifest((m) => (m.metadata.managedFields = [])), 'metadata.managedFields must be nil'],
    [{ apiVersion: 'apps/v1', metadata: { name: 'web' } }, `Object 'Kind' is missing in '{"apiVersion":"apps/v1","metadata":{"name":"web"}}'`],
  ];
  for (const [applied, message] of cases) {
    assert.throws(() => applyServerSide(live, applied, opts('kubectl', T1)), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === message, message);
  }
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Json)[k])]));
  return v;
}
