import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldError } from '../../api/field-errors.js';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { deploymentStrategy } from './deployment.js';
import type { JsonObject } from './pod-spec.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ctx: StrategyContext = {
  now: NOW,
  config: { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function deployment(spec: JsonObject = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u-1', creationTimestamp: '2024-05-01T11:00:00Z', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      ...spec,
    },
  };
}

function createErrors(input: KubeObject): FieldError[] {
  const obj = structuredClone(input);
  deploymentStrategy.prepareForCreate(obj, ctx);
  deploymentStrategy.defaults(obj, ctx);
  return deploymentStrategy.validate(obj, ctx);
}
const create = (input: KubeObject): string[] => createErrors(input).map(formatFieldError);

test('defaults: replicas, RollingUpdate 25%/25%, history and progress deadline, template defaults', () => {
  const obj = deployment();
  obj.status = { replicas: 5 };
  deploymentStrategy.prepareForCreate(obj, ctx);
  deploymentStrategy.defaults(obj, ctx);
  assert.equal(obj.status, undefined);
  const spec = obj.spec as JsonObject;
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  const podSpec = (spec.template as JsonObject).spec as JsonObject;
  assert.equal(podSpec.restartPolicy, 'Always');
  assert.equal(podSpec.enableServiceLinks, undefined, 'templates do not get pod-only defaults');
  assert.equal(((podSpec.containers as JsonObject[])[0]!).imagePullPolicy, 'IfNotPresent');

  const recreate = deployment({ strategy: { type: 'Recreate' }, replicas: 0 });
  deploymentStrategy.defaults(recreate, ctx);
  assert.deepEqual((recreate.spec as JsonObject).strategy, { type: 'Recreate' });
  assert.equal((recreate.spec as JsonObject).replicas, 0);
  assert.deepEqual(deploymentStrategy.validate(recreate, ctx), []);
});

test('validation messages', () => {
  const cases: [string, JsonObject, string[]][] = [
    ['valid', {}, []],
    ['replicas', { replicas: -1 }, ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    ['restartPolicy', { template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'web', image: 'x' }] } } }, [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]],
    ['image', { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web' }] } } }, ['spec.template.spec.containers[0].image: Required value']],
    [
      'both zero',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } },
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'],
    ],
    [
      'over 100%',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '200%' } } },
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "200%": must not be greater than 100%'],
    ],
    [
      'bad percent',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } } },
      [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"lots\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ],
    ],
    [
      'recreate with rollingUpdate',
      { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } },
      ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
    ],
    [
      'progress deadline',
      { minReadySeconds: 700 },
      ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds'],
    ],
    ['history', { revisionHistoryLimit: -2 }, ['spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0']],
    ['replicas type', { replicas: 'abc' }, ['spec.replicas: Invalid value: "abc": must be an integer']],
  ];
  for (const [name, spec, want] of cases) assert.deepEqual(create(deployment(spec)), want, name);
});

test('selector rules: required, non-empty, matching the template', () => {
  const missing = createErrors(deployment({ selector: undefined }));
  assert.deepEqual(
    missing.map((e) => [e.type, e.field, e.detail]),
    [
      ['FieldValueRequired', 'spec.selector', ''],
      ['FieldValueInvalid', 'spec.template.metadata.labels', '`selector` does not match template `labels`'],
    ],
  );
  assert.equal(formatFieldError(missing[1]!), 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`');

  const mismatch = createErrors(deployment({ selector: { matchLabels: { app: 'api' } } }));
  assert.deepEqual(mismatch.map((e) => `${e.field}: ${e.detail}`), ['spec.template.metadata.labels: `selector` does not match template `labels`']);

  const empty = createErrors(deployment({ selector: {} }));
  assert.deepEqual(empty.map((e) => `${e.field}: ${e.detail}`), ['spec.selector: empty selector is invalid for deployment']);

  const bad = create(deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } }));
  assert.ok(bad.includes('spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator'), bad.join('\n'));
  assert.ok(bad.some((m) => m.startsWith('spec.selector: Invalid value: ') && m.endsWith(': invalid label selector')), bad.join('\n'));

  const expressions = create(deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } }));
  assert.deepEqual(expressions, []);
});

function stored(): KubeObject {
  const obj = deployment();
  deploymentStrategy.prepareForCreate(obj, ctx);
  deploymentStrategy.defaults(obj, ctx);
  obj.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1, observedGeneration: 1 };
  return obj;
}

test('update: the selector is immutable, status is kept, annotations count as spec changes', () => {
  const old = stored();
  const next = structuredClone(old);
  (next.spec as JsonObject).selector = { matchLabels: { app: 'web', tier: 'front' } };
  ((next.spec as JsonObject).template as JsonObject).metadata = { labels: { app: 'web', tier: 'front' } };
  next.status = {};
  deploymentStrategy.prepareForUpdate(next, old, ctx);
  deploymentStrategy.defaults(next, ctx);
  assert.deepEqual(next.status, old.status);
  const errs = deploymentStrategy.validateUpdate(next, old, ctx);
  assert.deepEqual(
    errs.map((e) => [e.field, e.detail]),
    [['spec.selector', 'field is immutable']],
  );

  const scaled = structuredClone(old);
  (scaled.spec as JsonObject).replicas = 3;
  assert.deepEqual(deploymentStrategy.validateUpdate(scaled, old, ctx), []);
  assert.equal(deploymentStrategy.specChanged!(scaled, old), true);

  const annotated = structuredClone(old);
  annotated.metadata!.annotations = { 'kubernetes.io/change-cause': 'x' };
  assert.equal(deploymentStrategy.specChanged!(annotated, old), true);
  const labelled = structuredClone(old);
  labelled.metadata!.labels = { a: 'b' };
  assert.equal(deploymentStrategy.specChanged!(labelled, old), false);
});

test('status updates keep the spec and check the counters', () => {
  const old = stored();
  const next = structuredClone(old);
  (next.spec as JsonObject).replicas = 9;
  next.status = { replicas: 2, readyReplicas: 3, availableReplicas: 1, updatedReplicas: 2, observedGeneration: 2 };
  deploymentStrategy.prepareForStatusUpdate!(next, old, ctx);
  assert.equal((next.spec as JsonObject).replicas, 1);
  assert.deepEqual(deploymentStrategy.validateStatusUpdate!(next, old, ctx).map(formatFieldError), [
    'status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas',
  ]);
  next.status = { replicas: -1 };
  assert.deepEqual(deploymentStrategy.validateStatusUpdate!(next, old, ctx).map(formatFieldError), [
    'status.replicas: Invalid value: -1: must be greater than or equal to 0',
  ]);
});

test('table cells: READY, UP-TO-DATE, AVAILABLE, AGE and the wide columns', () => {
  const obj = stored();
  (obj.spec as JsonObject).replicas = 3;
  obj.status = { replicas: 3, readyReplicas: 2, updatedReplicas: 1, availableReplicas: 2 };
  assert.deepEqual(deploymentStrategy.table.cells(obj, NOW), ['web', '2/3', 1, 2, '60m', 'web', 'nginx:1.25', 'app=web']);
  delete obj.status;
  assert.deepEqual(deploymentStrategy.table.cells(obj, NOW).slice(0, 4), ['web', '0/3', 0, 0]);
  assert.deepEqual(
    deploymentStrategy.table.columns.map((c) => [c.name, c.priority]),
    [
      ['Name', 0],
      ['Ready', 0],
      ['Up-to-date', 0],
      ['Available', 0],
      ['Age', 0],
      ['Containers', 1],
      ['Images', 1],
      ['Selector', 1],
    ],
  );
});

const GARBAGE: readonly unknown[] = [null, 'abc', -1, 1.5, true, [], {}, [1, 'x'], { x: 1 }];

function* paths(v: unknown, parent?: JsonObject | unknown[], key?: string | number): Generator<[JsonObject | unknown[], string | number]> {
  if (parent !== undefined && key !== undefined) yield [parent, key];
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* paths(v[i], v, i);
  else if (isObject(v)) for (const k of Object.keys(v)) yield* paths(v[k], v, k);
}

test('garbage never throws: every field replaced by every wrong type', () => {
  const base = stored();
  const count = [...paths(base)].length;
  for (let i = 0; i < count; i++) {
    for (const g of GARBAGE) {
      const obj = structuredClone(base);
      const [parent, key] = [...paths(obj)][i]!;
      (parent as Record<string | number, unknown>)[key] = structuredClone(g);
      assert.doesNotThrow(() => {
        const created = structuredClone(obj);
        deploymentStrategy.prepareForCreate(created, ctx);
        deploymentStrategy.defaults(created, ctx);
        deploymentStrategy.validate(created, ctx);
        deploymentStrategy.validateUpdate(created, base, ctx);
        deploymentStrategy.validateStatusUpdate!(obj, base, ctx);
        deploymentStrategy.table.cells(obj, NOW);
      }, `${String(key)} = ${JSON.stringify(g)}`);
    }
  }
  for (const spec of GARBAGE) {
    const obj: KubeObject = { metadata: { name: 'x' }, spec };
    assert.doesNotThrow(() => deploymentStrategy.defaults(obj, ctx));
    assert.ok(deploymentStrategy.validate(obj, ctx).length > 0, JSON.stringify(spec));
  }
});
