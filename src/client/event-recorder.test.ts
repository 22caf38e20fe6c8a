// EventRecorder against FakeClient (a hand-written in-memory fake of Client, checked by the
// client contract suite) and a FakeClock: the Events that end up stored are what is asserted.
import { strict as assert } from 'node:assert';
import { beforeEach, describe, test } from 'node:test';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from './client.js';
import { AGGREGATE_INTERVAL_MS, AGGREGATE_MAX_EVENTS, COMBINED_MESSAGE_PREFIX, EventRecorder, SPAM_BURST, SPAM_REFILL_MS } from './event-recorder.js';
import { FakeClient } from './fake-client.js';
import { FakeClock } from './fake-clock.js';

const EVENTS = resourceInfo('', 'v1', 'events');
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod', uid: 'uid-1', resourceVersion: '7' } };
const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'uid-n' } };

describe('EventRecorder', () => {
  let clock: FakeClock;
  let client: FakeClient;
  let logs: string[];
  let recorder: EventRecorder;

  const events = async (ns?: string) => (await client.list(EVENTS, ns)).items;

  beforeEach(() => {
    clock = new FakeClock(T0);
    client = new FakeClient({ clock });
    logs = [];
    recorder = new EventRecorder({ client, component: 'default-scheduler', host: 'cp-1', clock, log: (l) => logs.push(l) });
  });

  test('writes a core/v1 Event about the object', async () => {
    recorder.event(pod, 'Normal', 'Scheduled', 'Successfully assigned prod/web-1 to node-a');
    await recorder.flush();
    const [ev, ...rest] = await events('prod');
    assert.equal(rest.length, 0);
    // <name>.<hex nanoseconds>, within the millisecond of the clock
    const [, hex] = /^web-1\.([0-9a-f]+)$/.exec(ev!.metadata?.name ?? '') ?? [];
    assert.equal(BigInt(`0x${hex}`) / 1_000_000n, BigInt(T0));
    assert.equal(ev!.metadata?.namespace, 'prod');
    assert.deepEqual(
      { ...ev, metadata: undefined, apiVersion: undefined, kind: undefined },
      {
        metadata: undefined,
        apiVersion: undefined,
        kind: undefined,
        involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-1', uid: 'uid-1', apiVersion: 'v1', resourceVersion: '7' },
        reason: 'Scheduled',
        message: 'Successfully assigned prod/web-1 to node-a',
        type: 'Normal',
        source: { component: 'default-scheduler', host: 'cp-1' },
        firstTimestamp: '2025-01-01T12:00:00Z',
        lastTimestamp: '2025-01-01T12:00:00Z',
        count: 1,
        reportingComponent: 'default-scheduler',
        reportingInstance: 'cp-1',
      },
    );
  });

  test('repeats of the same event update one Event: count and lastTimestamp', async () => {
    recorder.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.');
    await clock.advance(10_000);
    recorder.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.');
    await clock.advance(10_000);
    recorder.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.');
    await recorder.flush();
    const list = await events('prod');
    assert.equal(list.length, 1);
    assert.equal(list[0]!.count, 3);
    assert.equal(list[0]!.firstTimestamp, '2025-01-01T12:00:00Z');
    assert.equal(list[0]!.lastTimestamp, '2025-01-01T12:00:20Z');
  });

  test('similar Events (same object, type, reason; other messages) are combined into one after the ninth, as client-go aggregates them', async () => {
    const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-5d4', namespace: 'prod', uid: 'uid-rs' } };
    const rsRecorder = new EventRecorder({ client, component: 'replicaset-controller', clock, log: (l) => logs.push(l) });
    for (let i = 0; i < AGGREGATE_MAX_EVENTS + 2; i++) rsRecorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-5d4-${i}`);
    await rsRecorder.flush();
    const list = (await events('prod')).filter((e) => (e as { reason?: string }).reason === 'SuccessfulCreate') as (KubeObject & { message: string; count: number })[];
    const single = list.filter((e) => !e.message.startsWith(COMBINED_MESSAGE_PREFIX));
    const combined = list.filter((e) => e.message.startsWith(COMBINED_MESSAGE_PREFIX));
    assert.equal(single.length, AGGREGATE_MAX_EVENTS - 1);
    assert.deepEqual(
      combined.map((e) => [e.message, e.count]),
      [[`${COMBINED_MESSAGE_PREFIX}Created pod: web-5d4-${AGGREGATE_MAX_EVENTS + 1}`, 3]],
    );
    // another reason is not similar; and after the interval the count starts again
    rsRecorder.event(rs, 'Normal', 'SuccessfulDelete', 'Deleted pod: web-5d4-0');
    await clock.advance(AGGREGATE_INTERVAL_MS + 1);
    rsRecorder.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-5d4-late');
    await rsRecorder.flush();
    const messages = (await events('prod')).map((e) => (e as { message?: string }).message);
    assert.ok(messages.includes('Deleted pod: web-5d4-0') && messages.includes('Created pod: web-5d4-late'));
  });

  test('a different message, reason or type is a different Event', async () => {
    recorder.event(pod, 'Warning', 'FailedScheduling', 'a');
    recorder.event(pod, 'Warning', 'FailedScheduling', 'b');
    recorder.event(pod, 'Normal', 'FailedScheduling', 'b');
    recorder.event(pod, 'Normal', 'Scheduled', 'b');
    await recorder.flush();
    const list = await events('prod');
    assert.equal(list.length, 4);
    assert.equal(new Set(list.map((e) => e.metadata?.name)).size, 4, 'distinct names even within one millisecond');
  });

  test("two recorders' Events about one object in one millisecond get distinct names (a scheduler's and a kubelet's)", async () => {
    const kubelet = new EventRecorder({ client, component: 'kubelet', host: 'node-a', clock, log: (l) => logs.push(l) });
    recorder.event(pod, 'Normal', 'Scheduled', 'Successfully assigned prod/web-1 to node-a');
    kubelet.event(pod, 'Normal', 'Pulled', 'Container image "pause" already present on machine');
    await Promise.all([recorder.flush(), kubelet.flush()]);
    const list = await events('prod');
    assert.deepEqual(list.map((e) => e.reason).sort(), ['Pulled', 'Scheduled']);
    assert.deepEqual(logs, []);
  });

  test('events about cluster-scoped objects go to the default namespace', async () => {
    recorder.event(node, 'Normal', 'RegisteredNode', 'Node node-a event: Registered Node node-a');
    await recorder.flush();
    const [ev] = await events('default');
    assert.deepEqual(ev!.involvedObject, { kind: 'Node', name: 'node-a', uid: 'uid-n', apiVersion: 'v1' });
  });

  test('a repeat whose Event is gone starts a new Event', async () => {
    recorder.event(pod, 'Normal', 'Pulled', 'done');
    await recorder.flush();
    const [first] = await events('prod');
    await client.delete(EVENTS, 'prod', first!.metadata!.name!);
    await clock.advance(1000);
    recorder.event(pod, 'Normal', 'Pulled', 'done');
    await recorder.flush();
    const list = await events('prod');
    assert.equal(list.length, 1);
    assert.equal(list[0]!.count, 1);
    assert.notEqual(list[0]!.metadata?.name, first!.metadata?.name);
  });

  test('failures are logged, never thrown; later events still go through', async () => {
    client.injectError('create', new ApiError(403, 'Forbidden', 'events is forbidden'));
    assert.doesNotThrow(() => recorder.event(pod, 'Normal', 'Killing', 'Stopping container c'));
    assert.doesNotThrow(() => recorder.event({ kind: 'Pod' }, 'Normal', 'Killing', 'no name'));
    recorder.event(pod, 'Normal', 'Started', 'Started container c');
    await recorder.flush();
    assert.deepEqual((await events('prod')).map((e) => e.reason), ['Started']);
    assert.ok(logs.some((l) => l.startsWith('event-recorder default-scheduler: could not create event') && l.includes('events is forbidden')), logs.join('\n'));
    assert.ok(logs.some((l) => l.includes('without metadata.name')));
  });

  test('a flood about one object is cut at the burst, then refills slowly', async () => {
    // distinct reasons: nothing here is similar enough to be combined, every Event is a write
    for (let i = 0; i < SPAM_BURST + 5; i++) recorder.event(pod, 'Warning', `Reason${i}`, `restart ${i}`);
    recorder.event(node, 'Normal', 'Other', 'other objects are not affected');
    await recorder.flush();
    assert.equal((await events('prod')).length, SPAM_BURST);
    assert.equal((await events('default')).length, 1);
    await clock.advance(SPAM_REFILL_MS);
    recorder.event(pod, 'Warning', 'OneMore', 'one more');
    recorder.event(pod, 'Warning', 'NoMore', 'and no more');
    await recorder.flush();
    assert.equal((await events('prod')).length, SPAM_BURST + 1);
  });

  test("Events of different objects are written side by side, not one after another (a scheduler's Scheduled Events keep up)", async () => {
    // a client whose creates all wait until released: a recorder writing one at a time would have one in flight
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const create = client.create.bind(client);
    client.create = (async (info, obj, opts) => {
      started++;
      await gate;
      return create(info, obj, opts);
    }) as typeof client.create;
    const pods = Array.from({ length: 300 }, (_, i): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, namespace: 'prod', uid: `uid-${i}` } }));
    for (const p of pods) recorder.event(p, 'Normal', 'Scheduled', `Successfully assigned prod/${p.metadata!.name} to node-a`);
    // and a repeat of one of them: it waits for that Event's create, then counts
    recorder.event(pods[0]!, 'Normal', 'Scheduled', 'Successfully assigned prod/web-0 to node-a');
    await new Promise((r) => setImmediate(r));
    assert.equal(started, pods.length);
    release();
    await recorder.flush();
    const list = await events('prod');
    assert.equal(list.length, pods.length);
    assert.equal(list.find((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'web-0')?.count, 2);
    assert.deepEqual(logs, []);
  });

  test('stop refuses new events after writing the pending ones', async () => {
    recorder.event(pod, 'Normal', 'Created', 'c');
    await recorder.stop();
    recorder.event(pod, 'Normal', 'Started', 's');
    await recorder.flush();
    assert.deepEqual((await events('prod')).map((e) => e.reason), ['Created']);
  });
});
