import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { jobStrategy } from './job.js';
import type { JsonObject } from './pod-spec.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ctx: StrategyContext = {
  now: NOW,
  config: { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};
const UID = '3f1c2e4a-0000-4000-8000-000000000001';

function job(spec: JsonObject = {}, podSpec: JsonObject = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34' }], ...podSpec } }, ...spec },
  };
}

/** The generic registry's create: uid and metadata first, then prepareForCreate, defaults, validate. */
function create(input: KubeObject): { obj: KubeObject; errors: string[] } {
  const obj = structuredClone(input);
  obj.metadata = { ...obj.metadata, uid: UID, creationTimestamp: '2024-05-01T11:00:00Z', generation: 1 };
  jobStrategy.prepareForCreate(obj, ctx);
  jobStrategy.defaults(obj, ctx);
  return { obj, errors: jobStrategy.validate(obj, ctx).map(formatFieldError) };
}

const specOf = (o: KubeObject): JsonObject => o.spec as JsonObject;

test('create: generated selector and labels, Job defaults', () => {
  const { obj, errors } = create({ ...job(), status: { active: 3 } });
  assert.deepEqual(errors, []);
  assert.equal(obj.status, undefined);
  const spec = specOf(obj);
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } });
  const labels = {
    'batch.kubernetes.io/controller-uid': UID,
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': UID,
    'job-name': 'pi',
  };
  assert.deepEqual((spec.template as JsonObject).metadata, { labels });
  assert.deepEqual(obj.metadata!.labels, labels);
  assert.equal(spec.parallelism, 1);
  assert.equal(spec.completions, 1);
  assert.equal(spec.backoffLimit, 6);
  assert.equal(spec.completionMode, 'NonIndexed');
  assert.equal(spec.suspend, false);
  assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.equal(spec.manualSelector, undefined);

  const parallel = create(job({ parallelism: 3 })).obj;
  assert.equal(specOf(parallel).completions, undefined, 'completions stay unset when only parallelism is given');
  const own = create({ ...job(), metadata: { name: 'pi', namespace: 'default', labels: { team: 'a' } } }).obj;
  assert.deepEqual(own.metadata!.labels, { team: 'a' });
});

test('validation messages', () => {
  const cases: [string, KubeObject, string[]][] = [
    ['restartPolicy unset', job({}, { restartPolicy: undefined }), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']],
    ['restartPolicy Always', job({}, { restartPolicy: 'Always' }), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']],
    [
      'restartPolicy other',
      job({}, { restartPolicy: 'Sometimes' }),
      [
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
      ],
    ],
    ['parallelism', job({ parallelism: -1 }), ['spec.parallelism: Invalid value: -1: must be greater than or equal to 0']],
    ['backoffLimit', job({ backoffLimit: -1 }), ['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0']],
    ['indexed without completions', job({ completionMode: 'Indexed', parallelism: 2 }), ['spec.completions: Required value: when completion mode is Indexed']],
    [
      'completionMode',
      job({ completionMode: 'Sometimes' }),
      ['spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"'],
    ],
    [
      'podFailurePolicy with OnFailure',
      job({ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }, { restartPolicy: 'OnFailure' }),
      ['spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified'],
    ],
    ['ok with podFailurePolicy', job({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }), []],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(create(obj).errors, want, name);
});

test('selectors: user selectors need manualSelector, and must match the template', () => {
  const userSelector = create(job({ selector: { matchLabels: { app: 'pi' } } }, {}));
  assert.ok(userSelector.errors.some((m) => m.startsWith('spec.selector: Invalid value: ') && m.endsWith(': `selector` not auto-generated')), userSelector.errors.join('\n'));

  const manual = job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } } });
  (specOf(manual).template as JsonObject).metadata = { labels: { app: 'pi' } };
  const ok = create(manual);
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(specOf(ok.obj).selector, { matchLabels: { app: 'pi' } });

  const mismatch = job({ manualSelector: true, selector: { matchLabels: { app: 'other' } } });
  (specOf(mismatch).template as JsonObject).metadata = { labels: { app: 'pi' } };
  assert.ok(create(mismatch).errors.some((m) => m.startsWith('spec.template.metadata.labels: Invalid value: ') && m.endsWith('`selector` does not match template `labels`')));

  const noSelector = job({ manualSelector: true });
  assert.ok(create(noSelector).errors.includes('spec.selector: Required value'));

  const wrongLabel = job();
  (specOf(wrongLabel).template as JsonObject).metadata = { labels: { 'job-name': 'other' } };
  assert.ok(create(wrongLabel).errors.some((m) => m.startsWith('spec.template.metadata.labels[job-name]: Invalid value: ') && m.endsWith(": must be 'pi'")));
});

function stored(spec: JsonObject = {}): KubeObject {
  const { obj, errors } = create(job(spec));
  assert.deepEqual(errors, []);
  return obj;
}

function update(old: KubeObject, change: (o: KubeObject) => void): string[] {
  const next = structuredClone(old);
  change(next);
  jobStrategy.prepareForUpdate(next, old, ctx);
  jobStrategy.defaults(next, ctx);
  return jobStrategy.validateUpdate(next, old, ctx).map((e) => `${e.field}: ${e.detail}`);
}

const podSpecOf = (o: KubeObject): JsonObject => (specOf(o).template as JsonObject).spec as JsonObject;

test('update: template, selector and completions are immutable; parallelism and suspend are not', () => {
  const old = stored();
  assert.deepEqual(update(old, (o) => (specOf(o).parallelism = 4)), []);
  assert.deepEqual(update(old, (o) => (specOf(o).suspend = true)), []);
  assert.deepEqual(update(old, (o) => (specOf(o).activeDeadlineSeconds = 100)), []);
  assert.deepEqual(update(old, (o) => ((podSpecOf(o).containers as JsonObject[])[0]!.image = 'perl:5.36')), ['spec.template: field is immutable']);
  assert.deepEqual(update(old, (o) => (specOf(o).completions = 5)), ['spec.completions: field is immutable']);
  assert.deepEqual(update(old, (o) => (specOf(o).completionMode = 'Indexed')), ['spec.completionMode: field is immutable']);
  const selectorErrors = update(old, (o) => (specOf(o).selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } }));
  assert.ok(selectorErrors.includes('spec.selector: field is immutable'), selectorErrors.join('\n'));

  const indexed = stored({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
  assert.deepEqual(update(indexed, (o) => Object.assign(specOf(o), { completions: 5, parallelism: 5 })), []);
  assert.deepEqual(update(indexed, (o) => (specOf(o).completions = 5)), ['spec.completions: can only be modified in tandem with spec.parallelism']);

  const suspended = stored({ suspend: true });
  assert.deepEqual(update(suspended, (o) => (podSpecOf(o).nodeSelector = { zone: 'a' })), []);
  assert.deepEqual(update(suspended, (o) => ((podSpecOf(o).containers as JsonObject[])[0]!.image = 'x')), ['spec.template: field is immutable']);
  suspended.status = { startTime: '2024-05-01T11:00:00Z' };
  assert.deepEqual(update(suspended, (o) => (podSpecOf(o).nodeSelector = { zone: 'a' })), ['spec.template: field is immutable']);
});

test('status subresource keeps the spec and checks counters', () => {
  const old = stored();
  const next = structuredClone(old);
  specOf(next).parallelism = 9;
  next.status = { active: -1, succeeded: 1 };
  jobStrategy.prepareForStatusUpdate!(next, old, ctx);
  assert.equal(specOf(next).parallelism, 1);
  assert.deepEqual(jobStrategy.validateStatusUpdate!(next, old, ctx).map(formatFieldError), ['status.active: Invalid value: -1: must be greater than or equal to 0']);
});

test('table cells: STATUS, COMPLETIONS, DURATION', () => {
  const obj = stored();
  const cells = (status: JsonObject, spec: JsonObject = {}, meta: JsonObject = {}): unknown[] => {
    const o = structuredClone(obj);
    o.status = status;
    Object.assign(specOf(o), spec);
    Object.assign(o.metadata!, meta);
    return jobStrategy.table.cells(o, NOW);
  };
  assert.deepEqual(cells({}), ['pi', 'Running', '0/1', '', '60m', 'pi', 'perl:5.34', `batch.kubernetes.io/controller-uid=${UID}`]);
  assert.deepEqual(cells({ active: 1, startTime: '2024-05-01T11:59:30Z' }).slice(1, 4), ['Running', '0/1', '30s']);
  assert.deepEqual(
    cells({ succeeded: 1, startTime: '2024-05-01T11:00:00Z', completionTime: '2024-05-01T11:00:12Z', conditions: [{ type: 'Complete', status: 'True' }] }).slice(1, 4),
    ['Complete', '1/1', '12s'],
  );
  assert.deepEqual(cells({ conditions: [{ type: 'Failed', status: 'True' }] }).slice(1, 3), ['Failed', '0/1']);
  assert.deepEqual(cells({ conditions: [{ type: 'Suspended', status: 'True' }] }).slice(1, 2), ['Suspended']);
  assert.deepEqual(cells({}, {}, { deletionTimestamp: '2024-05-01T11:59:00Z' }).slice(1, 2), ['Terminating']);
  assert.deepEqual(cells({ succeeded: 2 }, { completions: undefined, parallelism: 3 }).slice(2, 3), ['2/1 of 3']);
  assert.deepEqual(
    jobStrategy.table.columns.map((c) => c.name),
    ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector'],
  );
  assert.equal(jobStrategy.fieldSelectors['status.successful']!({ status: { succeeded: 2 } }), '2');
});

const GARBAGE: readonly unknown[] = [null, 'abc', -1, 1.5, true, [], {}, [1, 'x'], { x: 1 }];

function* paths(v: unknown, parent?: JsonObject | unknown[], key?: string | number): Generator<[JsonObject | unknown[], string | number]> {
  if (parent !== undefined && key !== undefined) yield [parent, key];
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* paths(v[i], v, i);
  else if (isObject(v)) for (const k of Object.keys(v)) yield* paths(v[k], v, k);
}

test('garbage never throws', () => {
  const base = stored({ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 2] } }] } });
  base.status = { active: 1, conditions: [{ type: 'Complete', status: 'True' }], startTime: '2024-05-01T11:00:00Z' };
  const count = [...paths(base)].length;
  for (let i = 0; i < count; i++) {
    for (const g of GARBAGE) {
      const obj = structuredClone(base);
      const [parent, key] = [...paths(obj)][i]!;
      (parent as Record<string | number, unknown>)[key] = structuredClone(g);
      assert.doesNotThrow(() => {
        const c = structuredClone(obj);
        jobStrategy.prepareForCreate(c, ctx);
        jobStrategy.defaults(c, ctx);
        jobStrategy.validate(c, ctx);
        jobStrategy.validateUpdate(c, base, ctx);
        jobStrategy.validateStatusUpdate!(obj, base, ctx);
        jobStrategy.table.cells(obj, NOW);
      }, `${String(key)} = ${JSON.stringify(g)}`);
    }
  }
  for (const spec of GARBAGE) {
    const obj: KubeObject = { metadata: { name: 'x', uid: UID }, spec };
    assert.doesNotThrow(() => {
      jobStrategy.prepareForCreate(obj, ctx);
      jobStrategy.defaults(obj, ctx);
    });
    assert.ok(jobStrategy.validate(obj, ctx).length > 0, JSON.stringify(spec));
  }
});
