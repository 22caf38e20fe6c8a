// expectedPods: table-driven over the budget's spec and the pods' controllers.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { OwnerReference } from '../../api/object.js';
import { ExpectedCountError, expectedPods, usesControllerScale, type ControllerLookup } from './expected-pods.js';
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet } from './objects.js';

const ns = 'default';

function ref(kind: string, name: string, apiVersion = 'apps/v1'): OwnerReference {
  return { apiVersion, kind, name, uid: `uid-${name}`, controller: true };
}

function pod(name: string, owner?: OwnerReference): Pod {
  return { metadata: { name, namespace: ns, ...(owner ? { ownerReferences: [owner] } : {}) } };
}

function rs(name: string, replicas: number | undefined, owner?: OwnerReference): ReplicaSet {
  return { metadata: { name, namespace: ns, uid: `uid-${name}`, ...(owner ? { ownerReferences: [owner] } : {}) }, spec: { replicas, selector: {} } as ReplicaSet['spec'] };
}

function deployment(name: string, replicas: number): Deployment {
  return { metadata: { name, namespace: ns, uid: `uid-${name}` }, spec: { replicas } as Deployment['spec'] };
}

function lookup(objs: { replicaSets?: ReplicaSet[]; deployments?: Deployment[] }): ControllerLookup {
  return {
    replicaSet: (_ns, name) => objs.replicaSets?.find((o) => o.metadata?.name === name),
    deployment: (_ns, name) => objs.deployments?.find((o) => o.metadata?.name === name),
  };
}

function pdb(spec: { minAvailable?: number | string; maxUnavailable?: number | string }): PodDisruptionBudget {
  return { metadata: { name: 'b', namespace: ns }, spec: { selector: {}, ...spec } };
}

const web = rs('web', 3);
const webPods = [pod('web-1', ref('ReplicaSet', 'web')), pod('web-2', ref('ReplicaSet', 'web')), pod('web-3', ref('ReplicaSet', 'web'))];

const cases: {
  name: string;
  spec: { minAvailable?: number | string; maxUnavailable?: number | string };
  pods: Pod[];
  objs?: { replicaSets?: ReplicaSet[]; deployments?: Deployment[] };
  want: { expectedCount: number; desiredHealthy: number; unmanagedPods: string[] } | string;
}[] = [
  { name: 'minAvailable int: the selected pods, controllers not looked at', spec: { minAvailable: 2 }, pods: [pod('a'), pod('b'), pod('c')], want: { expectedCount: 3, desiredHealthy: 2, unmanagedPods: [] } },
  { name: 'minAvailable above the pod count', spec: { minAvailable: 5 }, pods: [pod('a')], want: { expectedCount: 1, desiredHealthy: 5, unmanagedPods: [] } },
  { name: 'neither set: nothing expected, nothing desired', spec: {}, pods: webPods, objs: { replicaSets: [web] }, want: { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] } },
  { name: 'maxUnavailable int over a ReplicaSet counted once', spec: { maxUnavailable: 1 }, pods: webPods, objs: { replicaSets: [web] }, want: { expectedCount: 3, desiredHealthy: 2, unmanagedPods: [] } },
  { name: 'scale, not pod count: ReplicaSet of 5 with 3 pods', spec: { maxUnavailable: 1 }, pods: webPods, objs: { replicaSets: [rs('web', 5)] }, want: { expectedCount: 5, desiredHealthy: 4, unmanagedPods: [] } },
  { name: 'maxUnavailable beyond the scale: desiredHealthy 0', spec: { maxUnavailable: 7 }, pods: webPods, objs: { replicaSets: [web] }, want: { expectedCount: 3, desiredHealthy: 0, unmanagedPods: [] } },
  { name: 'maxUnavailable percent rounds up', spec: { maxUnavailable: '30%' }, pods: webPods, objs: { replicaSets: [rs('web', 4)] }, want: { expectedCount: 4, desiredHealthy: 2, unmanagedPods: [] } },
  { name: 'minAvailable percent rounds up', spec: { minAvailable: '50%' }, pods: webPods, objs: { replicaSets: [web] }, want: { expectedCount: 3, desiredHealthy: 2, unmanagedPods: [] } },
  {
    name: "a Deployment's ReplicaSets count as the Deployment, once",
    spec: { maxUnavailable: '25%' },
    pods: [pod('a', ref('ReplicaSet', 'web-1')), pod('b', ref('ReplicaSet', 'web-1')), pod('c', ref('ReplicaSet', 'web-2'))],
    objs: { replicaSets: [rs('web-1', 2, ref('Deployment', 'web')), rs('web-2', 1, ref('Deployment', 'web'))], deployments: [deployment('web', 8)] },
    want: { expectedCount: 8, desiredHealthy: 6, unmanagedPods: [] },
  },
  {
    name: "a Deployment not in the cache: the ReplicaSet's own scale",
    spec: { maxUnavailable: 1 },
    pods: [pod('a', ref('ReplicaSet', 'web-1'))],
    objs: { replicaSets: [rs('web-1', 2, ref('Deployment', 'web'))] },
    want: { expectedCount: 2, desiredHealthy: 1, unmanagedPods: [] },
  },
  { name: 'a Deployment as the direct controller', spec: { maxUnavailable: 1 }, pods: [pod('a', ref('Deployment', 'web'))], objs: { deployments: [deployment('web', 4)] }, want: { expectedCount: 4, desiredHealthy: 3, unmanagedPods: [] } },
  { name: 'unset replicas default to 1', spec: { maxUnavailable: 0 }, pods: [pod('a', ref('ReplicaSet', 'one'))], objs: { replicaSets: [rs('one', undefined)] }, want: { expectedCount: 1, desiredHealthy: 1, unmanagedPods: [] } },
  {
    name: 'pods without a controller are listed, not counted',
    spec: { maxUnavailable: 1 },
    pods: [...webPods, pod('stray')],
    objs: { replicaSets: [web] },
    want: { expectedCount: 3, desiredHealthy: 2, unmanagedPods: ['stray'] },
  },
  { name: 'controller not in the cache', spec: { maxUnavailable: 1 }, pods: webPods, want: 'found no controllers for pod "web-1"' },
  {
    name: 'controller of the same name but another uid',
    spec: { minAvailable: '50%' },
    pods: webPods,
    objs: { replicaSets: [{ ...web, metadata: { ...web.metadata, uid: 'other' } }] },
    want: 'found no controllers for pod "web-1"',
  },
  { name: 'a kind skiff does not serve', spec: { maxUnavailable: 1 }, pods: [pod('db-0', ref('StatefulSet', 'db'))], want: 'no matches for kind "StatefulSet" in version "apps/v1"' },
  { name: 'ReplicationController is not served either', spec: { maxUnavailable: 1 }, pods: [pod('rc-1', ref('ReplicationController', 'rc', 'v1'))], want: 'no matches for kind "ReplicationController" in version "v1"' },
  { name: 'a kind without a scale subresource', spec: { maxUnavailable: 1 }, pods: [pod('j-1', ref('Job', 'j', 'batch/v1'))], want: 'jobs.batch does not implement the scale subresource' },
  { name: 'a string that is not a percentage', spec: { maxUnavailable: '2' }, pods: webPods, objs: { replicaSets: [web] }, want: 'invalid value for IntOrString: invalid type: string is not a percentage' },
];

for (const c of cases) {
  test(`expectedPods: ${c.name}`, () => {
    const run = () => expectedPods(pdb(c.spec), c.pods, lookup(c.objs ?? {}));
    if (typeof c.want === 'string') {
      assert.throws(run, (e: unknown) => e instanceof ExpectedCountError && e.message === c.want);
    } else {
      assert.deepEqual(run(), c.want);
    }
  });
}

test('usesControllerScale: all but an integer minAvailable (or nothing)', () => {
  assert.equal(usesControllerScale(pdb({ minAvailable: 1 })), false);
  assert.equal(usesControllerScale(pdb({})), false);
  assert.equal(usesControllerScale(pdb({ minAvailable: '50%' })), true);
  assert.equal(usesControllerScale(pdb({ maxUnavailable: 0 })), true);
});
