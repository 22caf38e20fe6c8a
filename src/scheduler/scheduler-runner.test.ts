// apiBinder: what the scheduler writes to the API for a placement (pods/binding and a Scheduled
// Event) and for a failure (the PodScheduled=False condition, once per distinct message, and a
// FailedScheduling Event), on a FakeClient and a FakeClock.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from '../client/client.js';
import { EventRecorder } from '../client/event-recorder.js';
import { FakeClient } from '../client/fake-client.js';
import { FakeClock } from '../client/fake-clock.js';
import { apiBinder, SCHEDULER_NAME } from './scheduler-runner.js';
import type { SchedulingFailure } from './scheduler.js';

const PODS = resourceInfo('', 'v1', 'pods');
const EVENTS = resourceInfo('', 'v1', 'events');

async function setUp() {
  const clock = new FakeClock();
  const client = new FakeClient({ clock });
  const recorder = new EventRecorder({ client, component: SCHEDULER_NAME, clock, log: () => {} });
  const binder = apiBinder(client, recorder, () => new Date(clock.now()));
  const created = await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as KubeObject);
  const events = async () => {
    await recorder.flush();
    return (await client.list<KubeObject & { reason?: string; message?: string; type?: string; count?: number; source?: { component?: string } }>(EVENTS, 'ns')).items;
  };
  const pod = async () => client.get<KubeObject & Pod>(PODS, 'ns', 'p');
  return { client, binder, created: created as unknown as Pod, events, pod };
}

test('bind: pods/binding sets spec.nodeName and PodScheduled=True; a Scheduled Event from default-scheduler', async () => {
  const { binder, created, events, pod } = await setUp();
  await binder.bind(created, 'node-1');
  const p = await pod();
  assert.equal(p.spec?.nodeName, 'node-1');
  assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
  const [e] = await events();
  assert.deepEqual([e?.type, e?.reason, e?.message, e?.source?.component], ['Normal', 'Scheduled', 'Successfully assigned ns/p to node-1', 'default-scheduler']);
});

test('reportFailure: PodScheduled=False with the reason and message, written again only when they change; FailedScheduling Events', async () => {
  const { client, binder, created, events, pod } = await setUp();
  const failure: SchedulingFailure = { reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' };
  await binder.reportFailure(created, failure);
  let p = await pod();
  const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
  assert.deepEqual([c?.status, c?.reason, c?.message], ['False', 'Unschedulable', failure.message]);
  const rv = p.metadata?.resourceVersion;

  await binder.reportFailure(p, failure); // the same verdict again: no new write of the pod
  assert.equal((await pod()).metadata?.resourceVersion, rv);
  const failed = (await events()).filter((e) => e.reason === 'FailedScheduling');
  assert.equal(failed.length, 1, 'repeats aggregate into one Event');
  assert.equal(failed[0]?.type, 'Warning');
  assert.equal(failed[0]?.message, failure.message);
  assert.equal(failed[0]?.count, 2);

  p = await pod();
  await binder.reportFailure(p, { reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' });
  assert.equal((await pod()).status?.conditions?.find((x) => x.type === 'PodScheduled')?.message, '0/3 nodes are available: 3 Insufficient memory.');

  await client.delete(PODS, 'ns', 'p');
  await binder.reportFailure(p, failure); // a pod deleted meanwhile is not an error
});
