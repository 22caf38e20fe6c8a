import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { SchemaNode } from '../../api/openapi/schema-lookup.js';
import { applyStrategicMergePatch } from './strategic-merge.js';
import { deploymentSchema, mapOf, obj, str } from './test-schema.js';

type Json = Record<string, unknown>;

const live = (): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['a', 'b'] },
  spec: {
    replicas: 2,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1', args: ['-v'], env: [{ name: 'A', value: '1' }] },
          { name: 'side', image: 'busybox' },
        ],
        tolerations: [{ key: 'k1', value: 'v1' }],
        imagePullSecrets: [{ name: 's1' }],
      },
    },
  },
});

/** live() with `change` applied to a copy. */
function liveWith(change: (d: Json & { spec: Json; metadata: Json }) => void): Json {
  const d = live() as Json & { spec: Json; metadata: Json };
  change(d);
  return d;
}
const podSpec = (d: Json): Json => ((d.spec as Json).template as Json).spec as Json;
const containers = (d: Json): Json[] => podSpec(d).containers as Json[];
const pod = (spec: Json): Json => ({ spec: { template: { spec } } });

test('applyStrategicMergePatch merges as Kubernetes does', () => {
  const cases: { name: string; patch: Json; want: Json; schema?: SchemaNode | undefined }[] = [
    {
      name: 'scalar replaced, others kept',
      patch: { spec: { replicas: 5 } },
      want: liveWith((d) => (d.spec.replicas = 5)),
    },
    {
      name: 'null deletes a member',
      patch: { metadata: { labels: { tier: null } } },
      want: liveWith((d) => (d.metadata.labels = { app: 'web' })),
    },
    {
      name: 'merge list: item merged by key, others kept in place',
      patch: pod({ containers: [{ name: 'web', image: 'nginx:2' }] }),
      want: liveWith((d) => ((containers(d)[0] as Json).image = 'nginx:2')),
    },
    {
      name: 'merge list: a new item comes before live-only items',
      patch: pod({ containers: [{ name: 'new', image: 'x' }] }),
      want: liveWith((d) => (podSpec(d).containers = [{ name: 'new', image: 'x' }, ...containers(live())])),
    },
    {
      name: '$setElementOrder orders the merged list',
      patch: pod({
        '$setElementOrder/containers': [{ name: 'web' }, { name: 'side' }, { name: 'new' }],
        containers: [{ name: 'new', image: 'x' }],
      }),
      want: liveWith((d) => (podSpec(d).containers = [...containers(live()), { name: 'new', image: 'x' }])),
    },
    {
      name: '$setElementOrder alone reorders',
      patch: pod({ '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }] }),
      want: liveWith((d) => (podSpec(d).containers = [...containers(live())].reverse())),
    },
    {
      name: 'nested merge list inside a merged item',
      patch: pod({ containers: [{ name: 'web', env: [{ name: 'B', value: '2' }, { name: 'A', value: '9' }] }] }),
      want: liveWith((d) => ((containers(d)[0] as Json).env = [{ name: 'B', value: '2' }, { name: 'A', value: '9' }])),
    },
    {
      name: '$patch: delete removes a list item by key',
      patch: pod({ containers: [{ name: 'side', $patch: 'delete' }] }),
      want: liveWith((d) => (podSpec(d).containers = [containers(live())[0]])),
    },
    {
      name: '$patch: replace in a list replaces the list',
      patch: pod({ containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] }),
      want: liveWith((d) => (podSpec(d).containers = [{ name: 'only', image: 'x' }])),
    },
    {
      name: '$patch: replace in a map',
      patch: { metadata: { labels: { $patch: 'replace', x: '1' } } },
      want: liveWith((d) => (d.metadata.labels = { x: '1' })),
    },
    {
      name: '$patch: delete in a map empties it',
      patch: { metadata: { labels: { $patch: 'delete' } } },
      want: liveWith((d) => (d.metadata.labels = {})),
    },
    {
      name: 'primitive merge list: union, new values first',
      patch: { metadata: { finalizers: ['c', 'a'] } },
      want: liveWith((d) => (d.metadata.finalizers = ['c', 'a', 'b'])),
    },
    {
      name: 'primitive merge list with $setElementOrder',
      patch: { metadata: { '$setElementOrder/finalizers': ['a', 'b', 'c'], finalizers: ['c'] } },
      want: liveWith((d) => (d.metadata.finalizers = ['a', 'b', 'c'])),
    },
    {
      name: '$deleteFromPrimitiveList',
      patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
      want: liveWith((d) => (d.metadata.finalizers = ['b'])),
    },
    {
      name: '$deleteFromPrimitiveList with additions and order (kubectl three-way patch)',
      patch: { metadata: { '$setElementOrder/finalizers': ['b', 'z'], '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['z'] } },
      want: liveWith((d) => (d.metadata.finalizers = ['b', 'z'])),
    },
    {
      name: '$retainKeys clears the keys it does not list',
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      want: liveWith((d) => (d.spec.strategy = { type: 'Recreate' })),
    },
    {
      name: 'lists without merge strategy are replaced',
      patch: pod({ tolerations: [{ key: 'k2' }], containers: [{ name: 'web', args: ['-q'] }] }),
      want: liveWith((d) => {
        podSpec(d).tolerations = [{ key: 'k2' }];
        (containers(d)[0] as Json).args = ['-q'];
      }),
    },
    {
      name: 'a list known only by patch strategy and merge key merges',
      patch: pod({ imagePullSecrets: [{ name: 's2' }] }),
      want: liveWith((d) => (podSpec(d).imagePullSecrets = [{ name: 's2' }, { name: 's1' }])),
    },
    {
      name: 'new members lose their nulls and directives',
      patch: pod({ volumes: [{ name: 'v', emptyDir: { medium: null } }, { name: 'gone', $patch: 'delete' }], nodeSelector: { a: '1', b: null } }),
      want: liveWith((d) => {
        podSpec(d).volumes = [{ name: 'v', emptyDir: {} }];
        podSpec(d).nodeSelector = { a: '1' };
      }),
    },
    {
      name: 'a value of another type replaces',
      patch: { spec: { strategy: 'Recreate' } },
      want: liveWith((d) => (d.spec.strategy = 'Recreate')),
    },
    {
      name: 'unknown schema: lists replace, maps merge',
      schema: undefined,
      patch: { metadata: { finalizers: ['c'], labels: { x: '1' } } },
      want: liveWith((d) => {
        d.metadata.finalizers = ['c'];
        d.metadata.labels = { app: 'web', tier: 'fe', x: '1' };
      }),
    },
    {
      name: 'map with strategy replace is replaced',
      schema: obj({ metadata: obj({ labels: mapOf(str, { patchStrategy: 'replace' }) }) }),
      patch: { metadata: { labels: { x: '1' } } },
      want: liveWith((d) => (d.metadata.labels = { x: '1' })),
    },
  ];
  for (const c of cases) {
    const input = live();
    const schema = 'schema' in c ? c.schema : deploymentSchema;
    const patch = structuredClone(c.patch);
    assert.deepEqual(applyStrategicMergePatch(input, patch, schema), c.want, c.name);
    assert.deepEqual(patch, c.patch, `${c.name}: patch untouched`);
    assert.deepEqual(input, live(), `${c.name}: input untouched`);
  }
});

test('applyStrategicMergePatch answers bad patches as the apiserver does', () => {
  const cases: { name: string; patch: unknown; code: number; reason: string; message: string; doc?: Json }[] = [
    { name: 'not an object', patch: [1], code: 400, reason: 'BadRequest', message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' },
    {
      name: 'merge item without its key',
      patch: pod({ containers: [{ image: 'x' }] }),
      code: 500,
      reason: '',
      message: 'map: map[image:x] does not contain declared merge key: name',
    },
    {
      name: 'unknown $patch in a map',
      patch: { metadata: { labels: { $patch: 'frob', x: '1' } } },
      code: 500,
      reason: '',
      message: 'unknown patch type: frob in map: map[$patch:frob x:1]',
    },
    { name: '$patch: merge in a list', patch: pod({ containers: [{ $patch: 'merge' }] }), code: 500, reason: '', message: 'merging lists cannot yet be specified in the patch' },
    {
      name: 'key outside $retainKeys',
      patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } },
      code: 400,
      reason: 'BadRequest',
      message: 'invalid patch format of retainKeys',
    },
    { name: '$retainKeys not a list', patch: { spec: { strategy: { $retainKeys: 'type' } } }, code: 400, reason: 'BadRequest', message: 'invalid patch format of retainKeys' },
    { name: 'bad $deleteFromPrimitiveList key', patch: { metadata: { $deleteFromPrimitiveList: ['a'] } }, code: 400, reason: 'BadRequest', message: 'invalid patch format of primitive list' },
    { name: 'bad $setElementOrder key', patch: { metadata: { $setElementOrderfinalizers: ['a'] } }, code: 400, reason: 'BadRequest', message: 'invalid patch format of setElementOrder list' },
    {
      name: 'list of lists',
      doc: liveWith((d) => (d.metadata.finalizers = [])),
      patch: { metadata: { finalizers: [['x']] } },
      code: 422, reason: 'Invalid', message: 'the server rejected our request due to an error in our request' },
    {
      name: 'mixed element types',
      patch: { metadata: { finalizers: [1] } },
      code: 500,
      reason: '',
      message: 'list element types are not identical: [[a b] [1]]',
    },
    {
      name: '$setElementOrder not matching the patch list',
      patch: pod({ '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'other' }] }),
      code: 500,
      reason: '',
      message: "The order in patch list:\n[map[name:other]]\n doesn't match $setElementOrder list:\n[map[name:web]]\n",
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => applyStrategicMergePatch(c.doc ?? live(), c.patch, deploymentSchema),
      (e: unknown) => e instanceof ApiError && e.code === c.code && e.reason === c.reason && e.message === c.message,
      c.name,
    );
  }
});

test('applyStrategicMergePatch: a null patch changes nothing', () => {
  assert.deepEqual(applyStrategicMergePatch(live(), null, deploymentSchema), live());
});
