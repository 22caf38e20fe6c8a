// The Deployment and ReplicaSet controllers together on a FakeClient, with a stand-in kubelet
// (pods are made Running and Ready by updating their status): rollouts as kubectl drives them.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { createReplicaSetController } from '../replicaset/controller.js';
import { startCluster, type TestCluster } from '../replicaset/testing.js';
import { createDeploymentController } from './controller.js';
import { DEPLOYMENTS, PODS, REPLICASETS, type Deployment, type Pod, type ReplicaSet } from './objects.js';

const REVISION = 'deployment.kubernetes.io/revision';

function webDeployment(o: { replicas?: number; maxSurge?: number | string; maxUnavailable?: number | string; recreate?: boolean; revisionHistoryLimit?: number; progressDeadlineSeconds?: number } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: o.recreate ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.maxSurge ?? 1, maxUnavailable: o.maxUnavailable ?? 0 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
    },
  };
}

async function start(): Promise<TestCluster> {
  return startCluster([createReplicaSetController, createDeploymentController]);
}

async function getDeployment(c: TestCluster): Promise<Deployment> {
  return c.client.get<Deployment>(DEPLOYMENTS, 'default', 'web');
}

async function replicaSets(c: TestCluster): Promise<ReplicaSet[]> {
  return (await c.client.list<ReplicaSet>(REPLICASETS, 'default')).items;
}

function byRevision(rsList: ReplicaSet[], revision: number): ReplicaSet | undefined {
  return rsList.find((rs) => rs.metadata?.annotations?.[REVISION] === String(revision));
}

/** kubectl rollout status' verdict (DeploymentStatusViewer). */
function rolloutComplete(d: Deployment): boolean {
  const s = d.status ?? {};
  return (
    (d.metadata?.generation ?? 0) <= (s.observedGeneration ?? 0) &&
    (s.updatedReplicas ?? 0) >= (d.spec?.replicas ?? 1) &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
  );
}

function isReady(p: Pod): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Runs pods one at a time (a second apart) until the rollout is complete; returns the steps taken. */
async function rollOut(c: TestCluster, max = 50): Promise<number> {
  for (let step = 0; step < max; step++) {
    await c.quiesce();
    if (rolloutComplete(await getDeployment(c))) return step;
    const pending = (await c.pods()).filter((p) => !isReady(p) && !p.metadata?.deletionTimestamp);
    if (pending.length) await c.runPods((p) => p.metadata?.name === pending[0]!.metadata?.name);
    await c.clock.advance(1000);
  }
  assert.fail(`rollout not complete after ${max} steps: ${JSON.stringify((await getDeployment(c)).status)}`);
}

async function setImage(c: TestCluster, image: string): Promise<void> {
  await c.client.patch(DEPLOYMENTS, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'web', image }] } } } }, 'merge');
}

test('a Deployment of 3 creates its ReplicaSet as Kubernetes does and reports a complete rollout', async () => {
  const c = await start();
  try {
    const d0 = await c.client.create(DEPLOYMENTS, webDeployment());
    await rollOut(c);
    const [rs, ...others] = await replicaSets(c);
    assert.equal(others.length, 0);
    const hash = rs!.metadata?.labels?.['pod-template-hash'] ?? '';
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs!.metadata?.name, `web-${hash}`);
    assert.deepEqual(rs!.metadata?.labels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(rs!.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d0.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(rs!.metadata?.annotations, { [REVISION]: '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    assert.deepEqual(rs!.spec?.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.deepEqual(rs!.spec?.template?.metadata?.labels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(rs!.spec?.replicas, 3);
    for (const p of await c.pods()) assert.equal(p.metadata?.labels?.['pod-template-hash'], hash);

    const d = await getDeployment(c);
    assert.equal(d.metadata?.annotations?.[REVISION], '1');
    const { conditions, ...counts } = d.status ?? {};
    assert.deepEqual(counts, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    assert.deepEqual(
      conditions?.map((x) => [x.type, x.status, x.reason, x.message]),
      [
        ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
        ['Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`],
      ],
    );
    const events = (await c.events()).filter((e) => e.object === 'Deployment/web');
    assert.deepEqual(events.map((e) => [e.type, e.reason, e.message]), [['Normal', 'ScalingReplicaSet', `Scaled up replica set web-${hash} from 0 to 3`]]);
  } finally {
    await c.stop();
  }
});

test('rolling update of 3 with maxSurge 1, maxUnavailable 0: never fewer than 3 ready pods, never more than 4 pods, old ReplicaSet ends at 0', async () => {
  const c = await start();
  try {
    await c.client.create(DEPLOYMENTS, webDeployment({ replicas: 3, maxSurge: 1, maxUnavailable: 0 }));
    await rollOut(c);
    const [first] = await replicaSets(c);

    // Watch every pod change from here on and check the invariants after each one.
    const pods = new Map<string, Pod>();
    for (const p of await c.pods()) pods.set(p.metadata?.name ?? '', p);
    let minReady = Infinity;
    let maxPods = 0;
    const ac = new AbortController();
    const watching = c.client.watch<Pod>(PODS, 'default', { resourceVersion: String(c.client.revision()) }, (ev) => {
      if (ev.type === 'DELETED') pods.delete(ev.object.metadata?.name ?? '');
      else pods.set(ev.object.metadata?.name ?? '', ev.object);
      const live = [...pods.values()].filter((p) => !p.metadata?.deletionTimestamp);
      minReady = Math.min(minReady, live.filter(isReady).length);
      maxPods = Math.max(maxPods, live.length);
    }, ac.signal);

    await setImage(c, 'nginx:2');
    const steps = await rollOut(c);
    ac.abort();
    await watching;

    assert.ok(steps >= 3, `the rollout took ${steps} steps`);
    assert.ok(Number.isFinite(minReady) && minReady >= 3, `ready pods dropped to ${minReady}`);
    assert.ok(maxPods <= 4, `pods rose to ${maxPods}`);
    const rsList = await replicaSets(c);
    assert.equal(rsList.length, 2);
    const old = rsList.find((rs) => rs.metadata?.name === first!.metadata?.name)!;
    const next = rsList.find((rs) => rs.metadata?.name !== first!.metadata?.name)!;
    assert.equal(old.spec?.replicas, 0);
    assert.equal(old.status?.replicas, 0);
    assert.equal(next.spec?.replicas, 3);
    assert.equal(next.metadata?.annotations?.[REVISION], '2');
    assert.equal((await getDeployment(c)).metadata?.annotations?.[REVISION], '2');
    const images = (await c.pods()).map((p) => p.spec?.containers[0]?.image);
    assert.deepEqual(images, ['nginx:2', 'nginx:2', 'nginx:2']);

    const scaling = (await c.events()).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message).slice(1);
    const o = old.metadata?.name;
    const n = next.metadata?.name;
    assert.deepEqual(scaling, [
      `Scaled up replica set ${n} from 0 to 1`,
      `Scaled down replica set ${o} from 3 to 2`,
      `Scaled up replica set ${n} from 1 to 2`,
      `Scaled down replica set ${o} from 2 to 1`,
      `Scaled up replica set ${n} from 2 to 3`,
      `Scaled down replica set ${o} from 1 to 0`,
    ]);
  } finally {
    await c.stop();
  }
});

test('minReadySeconds: a new pod counts as available, and lets the rollout scale the old ReplicaSet down, only once Ready for more than minReadySeconds', async () => {
  const c = await start();
  try {
    const d = webDeployment({ replicas: 2, maxSurge: 1, maxUnavailable: 0 });
    d.spec!.minReadySeconds = 10;
    await c.client.create(DEPLOYMENTS, d);
    await c.quiesce();
    await c.runPods();
    await c.clock.advance(11_000); // available once Ready for more than minReadySeconds, as IsPodAvailable
    await c.quiesce();
    assert.ok(rolloutComplete(await getDeployment(c)), JSON.stringify((await getDeployment(c)).status));
    const [first] = await replicaSets(c);
    assert.equal(first!.spec?.minReadySeconds, 10, 'the ReplicaSet carries minReadySeconds');

    await setImage(c, 'nginx:2');
    await c.quiesce();
    const surged = (await c.pods()).filter((p) => p.spec?.containers[0]?.image === 'nginx:2');
    assert.equal(surged.length, 1, 'maxSurge 1: one new pod');
    await c.runPods((p) => p.metadata?.name === surged[0]!.metadata?.name);
    await c.quiesce();
    await c.clock.advance(9_000);
    await c.quiesce();
    const early = await getDeployment(c);
    assert.equal(early.status?.availableReplicas, 2, 'the new pod is Ready but not yet available');
    assert.equal(early.status?.unavailableReplicas, 1);
    const oldEarly = (await replicaSets(c)).find((rs) => rs.metadata?.name === first!.metadata?.name);
    assert.equal(oldEarly?.spec?.replicas, 2, 'the old ReplicaSet was scaled down before the new pod was available');

    await c.clock.advance(2_000);
    await c.quiesce();
    const oldLater = (await replicaSets(c)).find((rs) => rs.metadata?.name === first!.metadata?.name);
    assert.equal(oldLater?.spec?.replicas, 1, 'the old ReplicaSet is scaled down once the new pod is available');
    assert.equal((await getDeployment(c)).status?.availableReplicas, 2);
  } finally {
    await c.stop();
  }
});

test('rollout undo (kubectl patches the old template back): the old ReplicaSet is reused as revision 3', async () => {
  const c = await start();
  try {
    await c.client.create(DEPLOYMENTS, webDeployment());
    await rollOut(c);
    await setImage(c, 'nginx:2');
    await rollOut(c);
    const rev1 = byRevision(await replicaSets(c), 1)!;

    // What `kubectl rollout undo` sends: the revision's template without pod-template-hash.
    const template = structuredClone(rev1.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await c.client.patch(DEPLOYMENTS, 'default', 'web', [{ op: 'replace', path: '/spec/template', value: template }], 'json');
    await rollOut(c);

    const rsList = await replicaSets(c);
    assert.equal(rsList.length, 2, 'no new ReplicaSet');
    const back = rsList.find((rs) => rs.metadata?.name === rev1.metadata?.name)!;
    assert.equal(back.metadata?.annotations?.[REVISION], '3');
    assert.equal(back.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back.spec?.replicas, 3);
    assert.equal(byRevision(rsList, 2)?.spec?.replicas, 0);
    assert.equal((await getDeployment(c)).metadata?.annotations?.[REVISION], '3');
    assert.deepEqual((await c.pods()).map((p) => p.spec?.containers[0]?.image), ['nginx:1', 'nginx:1', 'nginx:1']);
  } finally {
    await c.stop();
  }
});

test('paused: no rollout, but scaling works; resumed: the rollout goes on', async () => {
  const c = await start();
  try {
    await c.client.create(DEPLOYMENTS, webDeployment());
    await rollOut(c);
    await c.client.patch(DEPLOYMENTS, 'default', 'web', { spec: { paused: true } }, 'merge');
    await setImage(c, 'nginx:2');
    await c.quiesce();
    assert.equal((await replicaSets(c)).length, 1, 'no new ReplicaSet while paused');
    const paused = await getDeployment(c);
    const progressing = paused.status?.conditions?.find((x) => x.type === 'Progressing');
    assert.deepEqual([progressing?.status, progressing?.reason, progressing?.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
    assert.equal(paused.status?.observedGeneration, paused.metadata?.generation);

    await c.client.patch(DEPLOYMENTS, 'default', 'web', { spec: { replicas: 5 } }, 'merge');
    await c.quiesce();
    const [rs] = await replicaSets(c);
    assert.equal(rs!.spec?.replicas, 5);
    assert.equal(rs!.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '5');
    assert.equal((await c.pods()).length, 5);

    await c.client.patch(DEPLOYMENTS, 'default', 'web', { spec: { paused: false } }, 'merge');
    await rollOut(c);
    const rsList = await replicaSets(c);
    assert.equal(rsList.length, 2);
    assert.equal(byRevision(rsList, 2)?.spec?.replicas, 5);
    assert.equal(byRevision(rsList, 1)?.spec?.replicas, 0);
    const done = (await getDeployment(c)).status?.conditions?.find((x) => x.type === 'Progressing');
    assert.equal(done?.reason, 'NewReplicaSetAvailable');
  } finally {
    await c.stop();
  }
});

test('rollout restart (a template annotation) rolls to a new ReplicaSet', async () => {
  const c = await start();
  try {
    await c.client.create(DEPLOYMENTS, webDeployment());
    await rollOut(c);
    await c.client.patch(DEPLOYMENTS, 'default', 'web', { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T12:00:00Z' } } } } }, 'merge');
    await rollOut(c);
    const rsList = await replicaSets(c);
    assert.equal(rsList.length, 2);
    assert.equal(byRevision(rsList, 2)?.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], '2025-01-01T12:00:00Z');
    assert.equal(byRevision(rsList, 1)?.spec?.replicas, 0);
  } finally {
    await c.stop();
  }
});

test('Recreate: old pods are all gone before the new ReplicaSet scales up', async () => {
  const c = await start();
  try {
    await c.client.create(DEPLOYMENTS, webDeployment({ recreate: true }));
    await rollOut(c);
    const pods = new Map<string, Pod>();
    for (const p of await c.pods()) pods.set(p.metadata?.name ?? '', p);
    let overlap = false;
    const ac = new AbortController();
    const watching = c.client.watch<Pod>(PODS, 'default', { resourceVersion: String(c.client.revision()) }, (ev) => {
      if (ev.type === 'DELETED') pods.delete(ev.object.metadata?.name ?? '');
      else pods.set(ev.object.metadata?.name ?? '', ev.object);
      const images = new Set([...pods.values()].map((p) => p.spec?.containers[0]?.image));
      if (images.size > 1) overlap = true;
    }, ac.signal);
    await setImage(c, 'nginx:2');
    await rollOut(c);
    ac.abort();
    await watching;
    assert.equal(overlap, false, 'old and new pods never coexist');
    assert.ok(pods.size === 3 && [...pods.values()].every((p) => p.spec?.containers[0]?.image === 'nginx:2'));
    const scaling = (await c.events()).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    assert.equal(scaling.length, 3);
    assert.match(scaling[1]!, /^Scaled down replica set web-\w+ from 3 to 0$/);
    assert.match(scaling[2]!, /^Scaled up replica set web-\w+ from 0 to 3$/);
  } finally {
    await c.stop();
  }
});

test('revisionHistoryLimit: old ReplicaSets beyond the limit are deleted once scaled to 0', async () => {
  const c = await start();
  try {
    await c.client.create(DEPLOYMENTS, webDeployment({ revisionHistoryLimit: 1 }));
    await rollOut(c);
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await setImage(c, image);
      await rollOut(c);
    }
    await c.quiesce();
    const revisions = (await replicaSets(c)).map((rs) => rs.metadata?.annotations?.[REVISION]).sort();
    assert.deepEqual(revisions, ['3', '4']);
  } finally {
    await c.stop();
  }
});

test('progressDeadlineSeconds: a stuck rollout gets Progressing=False ProgressDeadlineExceeded', async () => {
  const c = await start();
  try {
    await c.client.create(DEPLOYMENTS, webDeployment({ progressDeadlineSeconds: 30 }));
    await rollOut(c);
    await setImage(c, 'nginx:broken');
    await c.quiesce();
    await c.clock.advance(20_000);
    await c.quiesce();
    assert.equal((await getDeployment(c)).status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'ReplicaSetUpdated');
    await c.clock.advance(15_000);
    await c.quiesce();
    const d = await getDeployment(c);
    const p = d.status?.conditions?.find((x) => x.type === 'Progressing');
    const newRS = byRevision(await replicaSets(c), 2)!;
    assert.deepEqual([p?.status, p?.reason, p?.message], ['False', 'ProgressDeadlineExceeded', `ReplicaSet "${newRS.metadata?.name}" has timed out progressing.`]);
    assert.equal(d.status?.availableReplicas, 3, 'the old pods keep serving');
  } finally {
    await c.stop();
  }
});

test('an orphaned ReplicaSet matching the selector is adopted and scaled down as an old one', async () => {
  const c = await start();
  try {
    const orphan: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-manual', namespace: 'default', labels: { app: 'web' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:0' }] } } },
    };
    await c.client.create(REPLICASETS, orphan);
    const d = await c.client.create(DEPLOYMENTS, webDeployment());
    await rollOut(c);
    const adopted = (await replicaSets(c)).find((rs) => rs.metadata?.name === 'web-manual')!;
    assert.equal(adopted.metadata?.ownerReferences?.[0]?.uid, d.metadata?.uid);
    assert.equal(adopted.spec?.replicas, 0, 'scaled down as an old ReplicaSet');
    assert.deepEqual(c.logs.filter((l) => l.includes('failed')), []);
  } finally {
    await c.stop();
  }
});
