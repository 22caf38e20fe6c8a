import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import type { JsonObject } from './pod-spec.js';
import { replicaSetStrategy } from './replicaset.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ctx: StrategyContext = {
  now: NOW,
  config: { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function replicaSet(spec: JsonObject = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-5d4f', namespace: 'default', uid: 'u-1', creationTimestamp: '2024-05-01T11:58:00Z', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f' } },
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': '5d4f' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'log', image: 'busybox' }] },
      },
      ...spec,
    },
  };
}

function created(spec: JsonObject = {}): KubeObject {
  const obj = replicaSet(spec);
  replicaSetStrategy.prepareForCreate(obj, ctx);
  replicaSetStrategy.defaults(obj, ctx);
  return obj;
}

const errors = (obj: KubeObject): string[] => replicaSetStrategy.validate(obj, ctx).map(formatFieldError);

test('defaults and validation', () => {
  const obj = created();
  assert.equal((obj.spec as JsonObject).replicas, 1);
  assert.deepEqual(errors(obj), []);
  assert.deepEqual(errors(created({ replicas: -3 })), ['spec.replicas: Invalid value: -3: must be greater than or equal to 0']);
  assert.deepEqual(errors(created({ minReadySeconds: -1 })), ['spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(
    replicaSetStrategy.validate(created({ selector: { matchLabels: { app: 'api' } } }), ctx).map((e) => `${e.field}: ${e.detail}`),
    ['spec.template.metadata.labels: `selector` does not match template `labels`'],
  );
  assert.deepEqual(
    replicaSetStrategy.validate(created({ selector: {} }), ctx).map((e) => `${e.field}: ${e.detail}`),
    ['spec.selector: empty selector is invalid for deployment'],
  );
  const ads = created();
  (((ads.spec as JsonObject).template as JsonObject).spec as JsonObject).activeDeadlineSeconds = 5;
  assert.deepEqual(errors(ads), ['spec.template.spec.activeDeadlineSeconds: Invalid value: 5: activeDeadlineSeconds in ReplicaSet is not Supported']);
});

test('update: selector immutable, status kept; status subresource keeps spec', () => {
  const old = created();
  old.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1, fullyLabeledReplicas: 1 };
  const next = structuredClone(old);
  (next.spec as JsonObject).selector = { matchLabels: { app: 'web' } };
  next.status = {};
  replicaSetStrategy.prepareForUpdate(next, old, ctx);
  assert.deepEqual(next.status, old.status);
  assert.deepEqual(
    replicaSetStrategy.validateUpdate(next, old, ctx).map((e) => [e.field, e.detail]),
    [['spec.selector', 'field is immutable']],
  );

  const status = structuredClone(old);
  (status.spec as JsonObject).replicas = 7;
  status.status = { replicas: 1, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1 };
  replicaSetStrategy.prepareForStatusUpdate!(status, old, ctx);
  assert.equal((status.spec as JsonObject).replicas, 1);
  assert.deepEqual(replicaSetStrategy.validateStatusUpdate!(status, old, ctx).map(formatFieldError), [
    'status.fullyLabeledReplicas: Invalid value: 2: cannot be greater than status.replicas',
  ]);
});

test('table cells and field selectors', () => {
  const obj = created({ replicas: 3 });
  obj.status = { replicas: 3, readyReplicas: 2 };
  assert.deepEqual(replicaSetStrategy.table.cells(obj, NOW), ['web-5d4f', 3, 3, 2, '2m', 'web,log', 'nginx:1.25,busybox', 'app=web,pod-template-hash=5d4f']);
  assert.deepEqual(
    replicaSetStrategy.table.columns.map((c) => c.name),
    ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector'],
  );
  assert.equal(replicaSetStrategy.fieldSelectors['status.replicas']!(obj), '3');
  assert.equal(replicaSetStrategy.fieldSelectors['status.replicas']!({ status: 'x' }), '0');
});

const GARBAGE: readonly unknown[] = [null, 'abc', -1, 1.5, true, [], {}, [1, 'x'], { x: 1 }];

function* paths(v: unknown, parent?: JsonObject | unknown[], key?: string | number): Generator<[JsonObject | unknown[], string | number]> {
  if (parent !== undefined && key !== undefined) yield [parent, key];
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* paths(v[i], v, i);
  else if (isObject(v)) for (const k of Object.keys(v)) yield* paths(v[k], v, k);
}

test('garbage never throws', () => {
  const base = created();
  base.status = { replicas: 1 };
  const count = [...paths(base)].length;
  for (let i = 0; i < count; i++) {
    for (const g of GARBAGE) {
      const obj = structuredClone(base);
      const [parent, key] = [...paths(obj)][i]!;
      (parent as Record<string | number, unknown>)[key] = structuredClone(g);
      assert.doesNotThrow(() => {
        const c = structuredClone(obj);
        replicaSetStrategy.prepareForCreate(c, ctx);
        replicaSetStrategy.defaults(c, ctx);
        replicaSetStrategy.validate(c, ctx);
        replicaSetStrategy.validateUpdate(c, base, ctx);
        replicaSetStrategy.validateStatusUpdate!(obj, base, ctx);
        replicaSetStrategy.table.cells(obj, NOW);
        replicaSetStrategy.fieldSelectors['status.replicas']!(obj);
      }, `${String(key)} = ${JSON.stringify(g)}`);
    }
  }
});
