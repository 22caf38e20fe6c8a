import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { cronJobStrategy, cronScheduleError } from './cronjob.js';
import type { JsonObject } from './pod-spec.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ctx: StrategyContext = {
  now: NOW,
  config: { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function cronJob(spec: JsonObject = {}, name = 'hello'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default', uid: 'u-1', creationTimestamp: '2024-05-01T10:00:00Z', generation: 1 },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox:1.36' }] } } } },
      ...spec,
    },
  };
}

function created(input: KubeObject): KubeObject {
  const obj = structuredClone(input);
  cronJobStrategy.prepareForCreate(obj, ctx);
  cronJobStrategy.defaults(obj, ctx);
  return obj;
}

const errors = (input: KubeObject): string[] => cronJobStrategy.validate(created(input), ctx).map(formatFieldError);

test('defaults: Allow, not suspended, history limits 3 and 1; the job template keeps its own fields', () => {
  const obj = created({ ...cronJob(), status: { active: [{ name: 'x' }] } });
  const spec = obj.spec as JsonObject;
  assert.equal(obj.status, undefined);
  assert.equal(spec.concurrencyPolicy, 'Allow');
  assert.equal(spec.suspend, false);
  assert.equal(spec.successfulJobsHistoryLimit, 3);
  assert.equal(spec.failedJobsHistoryLimit, 1);
  const jobSpec = (spec.jobTemplate as JsonObject).spec as JsonObject;
  assert.equal(jobSpec.parallelism, undefined);
  assert.equal(jobSpec.backoffLimit, undefined);
  assert.equal(jobSpec.selector, undefined);
  const podSpec = (jobSpec.template as JsonObject).spec as JsonObject;
  assert.equal(podSpec.dnsPolicy, 'ClusterFirst');
  assert.equal((podSpec.containers as JsonObject[])[0]!.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(cronJobStrategy.validate(obj, ctx), []);
});

test('schedules are read as robfig/cron reads them', () => {
  for (const ok of ['*/5 * * * *', '0 0 * * MON-FRI', '0 9 1 jan,jul *', '5 4 * * sun', '0 0 29 2 *', '0-59/15 * * * ?', '@hourly', '@daily', '@midnight', '@annually', '@every 1h30m']) {
    assert.equal(cronScheduleError(ok), undefined, ok);
  }
  const cases: [string, string][] = [
    ['* * *', 'expected exactly 5 fields, found 3: [* * *]'],
    ['* * * * * *', 'expected exactly 5 fields, found 6: [* * * * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* 24 * * *', 'end of range (24) above maximum (23): 24'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every soon', 'failed to parse duration @every soon: time: invalid duration "soon"'],
  ];
  for (const [spec, want] of cases) assert.equal(cronScheduleError(spec), want, spec);
});

test('validation messages', () => {
  const cases: [string, KubeObject, string[]][] = [
    ['valid', cronJob(), []],
    ['no schedule', cronJob({ schedule: '' }), ['spec.schedule: Required value']],
    ['bad schedule', cronJob({ schedule: '61 * * * *' }), ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']],
    [
      'TZ in schedule',
      cronJob({ schedule: 'TZ=UTC 0 * * * *' }),
      ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ],
    ['timeZone ok', cronJob({ timeZone: 'Europe/Berlin' }), []],
    ['unknown timeZone', cronJob({ timeZone: 'Mars/Olympus' }), ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']],
    ['timeZone case', cronJob({ timeZone: 'europe/berlin' }), ['spec.timeZone: Invalid value: "europe/berlin": unknown time zone europe/berlin']],
    ['timeZone alias', cronJob({ timeZone: 'US/Pacific' }), []],
    ['Local', cronJob({ timeZone: 'Local' }), ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']],
    ['empty timeZone', cronJob({ timeZone: '' }), ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string']],
    [
      'concurrencyPolicy',
      cronJob({ concurrencyPolicy: 'Sometimes' }),
      ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'],
    ],
    ['history', cronJob({ successfulJobsHistoryLimit: -1 }), ['spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0']],
    ['deadline', cronJob({ startingDeadlineSeconds: -5 }), ['spec.startingDeadlineSeconds: Invalid value: -5: must be greater than or equal to 0']],
    [
      'template restartPolicy',
      cronJob({ jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a' }] } } } } }),
      ['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ],
    [
      'manual selector',
      cronJob({ jobTemplate: { spec: { manualSelector: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'a' }] } } } } }),
      ['spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"'],
    ],
    [
      'long name',
      cronJob({}, 'a'.repeat(53)),
      [`metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`],
    ],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(errors(obj), want, name);

  const selector = cronJobStrategy.validate(
    created(cronJob({ jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'a' }] } } } } })),
    ctx,
  );
  assert.deepEqual(selector.map((e) => `${e.field}: ${e.detail}`), ['spec.jobTemplate.spec.selector: `selector` will be auto-generated']);
});

test('update: TZ stays allowed in schedules that had it; long names stay editable; status kept', () => {
  const old = created(cronJob({ schedule: 'CRON_TZ=UTC 0 * * * *' }, 'a'.repeat(60)));
  old.status = { lastScheduleTime: '2024-05-01T11:00:00Z' };
  const next = structuredClone(old);
  (next.spec as JsonObject).suspend = true;
  next.status = {};
  cronJobStrategy.prepareForUpdate(next, old, ctx);
  cronJobStrategy.defaults(next, ctx);
  assert.deepEqual(next.status, old.status);
  assert.deepEqual(cronJobStrategy.validateUpdate(next, old, ctx), []);
  (next.spec as JsonObject).timeZone = 'UTC';
  assert.deepEqual(cronJobStrategy.validateUpdate(next, old, ctx).map(formatFieldError), [
    'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule',
  ]);
});

test('table cells', () => {
  const obj = created(cronJob());
  assert.deepEqual(cronJobStrategy.table.cells(obj, NOW), ['hello', '*/5 * * * *', '<none>', 'False', 0, '<none>', '120m', 'hello', 'busybox:1.36', '<none>']);
  obj.status = { active: [{ name: 'hello-1' }], lastScheduleTime: '2024-05-01T11:55:00Z' };
  (obj.spec as JsonObject).timeZone = 'Etc/UTC';
  (obj.spec as JsonObject).suspend = true;
  assert.deepEqual(cronJobStrategy.table.cells(obj, NOW).slice(1, 6), ['*/5 * * * *', 'Etc/UTC', 'True', 1, '5m']);
  assert.deepEqual(
    cronJobStrategy.table.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Schedule', 'string', 0],
      ['Timezone', 'string', 0],
      ['Suspend', 'boolean', 0],
      ['Active', 'integer', 0],
      ['Last Schedule', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
  );
});

const GARBAGE: readonly unknown[] = [null, 'abc', -1, 1.5, true, [], {}, [1, 'x'], { x: 1 }];

function* paths(v: unknown, parent?: JsonObject | unknown[], key?: string | number): Generator<[JsonObject | unknown[], string | number]> {
  if (parent !== undefined && key !== undefined) yield [parent, key];
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* paths(v[i], v, i);
  else if (isObject(v)) for (const k of Object.keys(v)) yield* paths(v[k], v, k);
}

test('garbage never throws', () => {
  const base = created(cronJob({ timeZone: 'UTC' }));
  base.status = { active: [{ name: 'a' }], lastScheduleTime: '2024-05-01T11:00:00Z' };
  const count = [...paths(base)].length;
  for (let i = 0; i < count; i++) {
    for (const g of GARBAGE) {
      const obj = structuredClone(base);
      const [parent, key] = [...paths(obj)][i]!;
      (parent as Record<string | number, unknown>)[key] = structuredClone(g);
      assert.doesNotThrow(() => {
        const c = structuredClone(obj);
        cronJobStrategy.prepareForCreate(c, ctx);
        cronJobStrategy.defaults(c, ctx);
        cronJobStrategy.validate(c, ctx);
        cronJobStrategy.validateUpdate(c, base, ctx);
        cronJobStrategy.validateStatusUpdate!(obj, base, ctx);
        cronJobStrategy.table.cells(obj, NOW);
      }, `${String(key)} = ${JSON.stringify(g)}`);
    }
  }
  for (const spec of GARBAGE) {
    const obj: KubeObject = { metadata: { name: 'x' }, spec };
    assert.doesNotThrow(() => cronJobStrategy.defaults(obj, ctx));
    assert.ok(cronJobStrategy.validate(obj, ctx).length > 0, JSON.stringify(spec));
  }
  assert.deepEqual(errors(cronJob({ schedule: 5 })), ['spec.schedule: Invalid value: 5: must be a string']);
});
