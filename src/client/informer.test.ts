// Informer logic against FakeClient — a hand-written in-memory fake of the Client interface
// (fake-client.ts, itself checked by the client contract suite) — with a FakeClock: list then
// watch, resume after a clean end, relist on 410 and on ERROR, retry with backoff, bookmarks,
// resync, handler rules and clean shutdown. Assertions are on the cache and on what handlers saw.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from './client.js';
import { FakeClient } from './fake-client.js';
import { FakeClock, settle } from './fake-clock.js';
import { Informer, RETRY_INITIAL_MS, enqueueKeys, type InformerOptions } from './informer.js';
import { WorkQueue } from './work-queue.js';

const CONFIGMAPS = resourceInfo('', 'v1', 'configmaps');
const SECRETS = resourceInfo('', 'v1', 'secrets');

const cm = (ns: string, name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): KubeObject => ({
  metadata: { name, namespace: ns, labels },
  data,
});

/** What the handlers saw, one line each: `add a/x initial`, `update a/x 3->4`, `delete a/x unknown`. */
function recorder(): { lines: string[]; handlers: Parameters<Informer['addEventHandler']>[0] } {
  const lines: string[] = [];
  const key = (o: KubeObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
  return {
    lines,
    handlers: {
      onAdd: (o, initial) => lines.push(`add ${key(o)}${initial ? ' initial' : ''}`),
      onUpdate: (a, b) => lines.push(`update ${key(b)} ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
      onDelete: (o, unknown) => lines.push(`delete ${key(o)}${unknown ? ' unknown' : ''}`),
    },
  };
}

describe('Informer', () => {
  let client: FakeClient;
  let clock: FakeClock;
  let informer: Informer;
  let logs: string[];

  const make = (opts: Partial<InformerOptions> = {}) => {
    informer = new Informer({ client, resource: CONFIGMAPS, clock, random: () => 0, log: (l) => logs.push(l), ...opts });
    return informer;
  };

  /** Starts the informer and returns once it has synced and its watch is open. */
  const startAndSync = async (signal?: AbortSignal) => {
    informer.start(signal);
    assert.equal(await informer.waitForSync(), true);
    await settle();
  };

  beforeEach(() => {
    clock = new FakeClock();
    client = new FakeClient({ clock });
    logs = [];
  });

  afterEach(async () => {
    await informer.stop();
    assert.equal(client.watchCount(), 0, 'no watch left open');
    assert.equal(clock.pending(), 0, 'no timer left pending');
  });

  test('lists, then watches from the list resourceVersion: the cache and the handlers follow every change', async () => {
    await client.create(CONFIGMAPS, cm('a', 'one'));
    await client.create(CONFIGMAPS, cm('b', 'two'));
    const r = recorder();
    make().addEventHandler(r.handlers);
    const synced = informer.waitForSync();
    informer.start();
    assert.equal(await synced, true);
    assert.ok(informer.hasSynced());
    assert.deepEqual(r.lines.sort(), ['add a/one initial', 'add b/two initial']);
    assert.equal(informer.lastSyncResourceVersion(), '2');

    r.lines.length = 0;
    const three = await client.create(CONFIGMAPS, cm('a', 'three'));
    await client.update(CONFIGMAPS, { ...three, data: { k: 'v' } });
    await client.delete(CONFIGMAPS, 'b', 'two');
    await settle();
    assert.deepEqual(r.lines, ['add a/three', 'update a/three 3->4', 'delete b/two']);
    assert.deepEqual(informer.indexer.listKeys().sort(), ['a/one', 'a/three']);
    assert.deepEqual(informer.indexer.byIndex('namespace', 'a').map((o) => o.metadata?.name).sort(), ['one', 'three']);
    assert.deepEqual(informer.lister.get('a', 'three')?.data, { k: 'v' });
    assert.equal(informer.lastSyncResourceVersion(), '5');
  });

  test('lists page by page', async () => {
    for (let i = 0; i < 5; i++) await client.create(CONFIGMAPS, cm('a', `o${i}`));
    make({ pageSize: 2 }).start();
    assert.equal(await informer.waitForSync(), true);
    assert.equal(informer.indexer.size, 5);
  });

  test('a watch that ends cleanly resumes from the last resourceVersion: nothing is lost or repeated', async () => {
    await client.create(CONFIGMAPS, cm('a', 'one'));
    const r = recorder();
    make().addEventHandler(r.handlers);
    await startAndSync();
    await client.create(CONFIGMAPS, cm('a', 'two'));
    await settle();
    client.endWatches();
    await client.create(CONFIGMAPS, cm('a', 'three')); // written while no watch is open
    await settle();
    assert.deepEqual(r.lines, ['add a/one initial', 'add a/two', 'add a/three']);
    assert.equal(client.watchCount(), 1);
  });

  test('410 Gone on resuming a watch relists at once; objects deleted meanwhile are reported with finalStateUnknown', async () => {
    await client.create(CONFIGMAPS, cm('a', 'keep'));
    const doomed = await client.create(CONFIGMAPS, cm('a', 'doomed'));
    const r = recorder();
    make().addEventHandler(r.handlers);
    await startAndSync();
    r.lines.length = 0;

    // The watch breaks (transport) and, while the informer backs off, history is compacted.
    client.failWatches(new Error('connection reset'));
    await settle();
    await client.delete(CONFIGMAPS, 'a', 'doomed');
    const changed = await client.get(CONFIGMAPS, 'a', 'keep');
    await client.update(CONFIGMAPS, { ...changed, data: { x: '1' } });
    client.compact();
    assert.deepEqual(r.lines, [], 'nothing seen during the backoff');

    await clock.advance(RETRY_INITIAL_MS);
    assert.deepEqual(r.lines, [`update a/keep 1->4`, 'delete a/doomed unknown']);
    assert.equal(informer.indexer.get('a/doomed'), undefined);
    assert.deepEqual(informer.lister.get('a', 'keep')?.data, { x: '1' });
    assert.ok(logs.some((l) => /relisting in 0ms after: too old resource version/.test(l)), logs.join('\n'));
    void doomed;
  });

  test('an ERROR event relists after a backoff', async () => {
    await client.create(CONFIGMAPS, cm('a', 'doomed'));
    const r = recorder();
    make().addEventHandler(r.handlers);
    await startAndSync();
    r.lines.length = 0;

    client.failWatches(new ApiError(500, 'InternalError', 'etcd is sad'));
    await settle();
    await client.delete(CONFIGMAPS, 'a', 'doomed');
    await clock.advance(RETRY_INITIAL_MS - 1);
    assert.deepEqual(r.lines, []);
    await clock.advance(1);
    assert.deepEqual(r.lines, ['delete a/doomed unknown'], 'seen by a relist, not a watch');
  });

  test('a transport error on the watch retries the watch from the same resourceVersion after a backoff', async () => {
    await client.create(CONFIGMAPS, cm('a', 'doomed'));
    const r = recorder();
    make().addEventHandler(r.handlers);
    await startAndSync();
    r.lines.length = 0;

    client.failWatches(new Error('connection reset'));
    await settle();
    await client.delete(CONFIGMAPS, 'a', 'doomed');
    await clock.advance(RETRY_INITIAL_MS);
    assert.deepEqual(r.lines, ['delete a/doomed'], 'replayed by the resumed watch');
  });

  test('failures back off exponentially until the list succeeds', async () => {
    await client.create(CONFIGMAPS, cm('a', 'one'));
    client.injectError('list', new Error('ECONNREFUSED'), 3);
    make().start();
    await clock.advance(RETRY_INITIAL_MS + 2 * RETRY_INITIAL_MS + 4 * RETRY_INITIAL_MS - 1);
    assert.equal(informer.hasSynced(), false);
    await clock.advance(1);
    assert.equal(informer.hasSynced(), true);
    assert.equal(informer.indexer.size, 1);
  });

  test('a watch that keeps ending at once without events does not spin', async () => {
    make();
    await startAndSync();
    client.endWatches();
    await settle();
    // The resumed watch also ends at once: the informer now waits before the next one.
    client.endWatches();
    await settle();
    assert.equal(client.watchCount(), 0);
    await clock.advance(RETRY_INITIAL_MS);
    assert.equal(client.watchCount(), 1);
  });

  test('bookmarks move the resourceVersion forward', async () => {
    make();
    await startAndSync();
    await client.create(SECRETS, { metadata: { name: 's', namespace: 'a' } });
    await client.create(SECRETS, { metadata: { name: 't', namespace: 'a' } });
    assert.equal(informer.lastSyncResourceVersion(), '0');
    client.sendBookmarks();
    await settle();
    assert.equal(informer.lastSyncResourceVersion(), '2');
  });

  test('resync re-delivers every cached object as an update', async () => {
    await client.create(CONFIGMAPS, cm('a', 'one'));
    const r = recorder();
    make({ resyncPeriodMs: 30_000 }).addEventHandler(r.handlers);
    await startAndSync();
    r.lines.length = 0;
    await clock.advance(29_999);
    assert.deepEqual(r.lines, []);
    await clock.advance(1);
    assert.deepEqual(r.lines, ['update a/one 1->1']);
    await clock.advance(30_000);
    assert.deepEqual(r.lines, ['update a/one 1->1', 'update a/one 1->1']);
  });

  test('selectors: only matching objects are cached; one relabelled out of the selection is deleted', async () => {
    await client.create(CONFIGMAPS, cm('a', 'in', { app: 'web' }));
    await client.create(CONFIGMAPS, cm('a', 'out', { app: 'db' }));
    const r = recorder();
    make({ labelSelector: 'app=web', namespace: 'a' }).addEventHandler(r.handlers);
    await startAndSync();
    assert.deepEqual(informer.indexer.listKeys(), ['a/in']);
    const o = await client.get(CONFIGMAPS, 'a', 'in');
    await client.update(CONFIGMAPS, { ...o, metadata: { ...o.metadata, labels: { app: 'db' } } });
    await settle();
    assert.deepEqual(r.lines, ['add a/in initial', 'delete a/in']);
    assert.equal(informer.indexer.size, 0);
  });

  test('custom indexes', async () => {
    await client.create(CONFIGMAPS, cm('a', 'one', { app: 'web' }));
    await client.create(CONFIGMAPS, cm('b', 'two', { app: 'web' }));
    await client.create(CONFIGMAPS, cm('b', 'three', { app: 'db' }));
    make({ indexers: { app: (o) => (o.metadata?.labels?.app ? [o.metadata.labels.app] : []) } }).start();
    await informer.waitForSync();
    assert.deepEqual(informer.indexer.byIndex('app', 'web').map((o) => o.metadata?.name).sort(), ['one', 'two']);
    await client.delete(CONFIGMAPS, 'a', 'one');
    await settle();
    assert.deepEqual(informer.indexer.indexKeys('app', 'web'), ['b/two']);
  });

  test('handlers: added late they get the cache first; a throwing one is logged and the others still run; removed ones hear nothing', async () => {
    await client.create(CONFIGMAPS, cm('a', 'one'));
    make().addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    await startAndSync();
    const late = recorder();
    const remove = informer.addEventHandler(late.handlers);
    assert.deepEqual(late.lines, ['add a/one initial']);
    await client.create(CONFIGMAPS, cm('a', 'two'));
    await settle();
    assert.deepEqual(late.lines, ['add a/one initial', 'add a/two']);
    assert.ok(logs.some((l) => l.includes('onAdd handler failed: Error: handler bug')));
    remove();
    await client.create(CONFIGMAPS, cm('a', 'three'));
    await settle();
    assert.equal(late.lines.length, 2);
  });

  test('enqueueKeys feeds object keys to a work queue, de-duplicated', async () => {
    await client.create(CONFIGMAPS, cm('a', 'one'));
    const queue = new WorkQueue({ clock });
    make().addEventHandler(enqueueKeys(queue));
    await startAndSync();
    const o = await client.get(CONFIGMAPS, 'a', 'one');
    await client.update(CONFIGMAPS, { ...o, data: { x: '1' } });
    await client.create(CONFIGMAPS, cm('a', 'two'));
    await settle();
    assert.equal(queue.len(), 2);
    assert.equal(await queue.get(), 'a/one');
    queue.shutDown();
  });

  test('stop before the first sync: waitForSync resolves false and nothing keeps running', async () => {
    client.injectError('list', new Error('ECONNREFUSED'));
    make().start();
    const waiting = informer.waitForSync();
    await settle();
    await informer.stop();
    assert.equal(await waiting, false);
    assert.equal(await informer.waitForSync(), false);
  });

  test('aborting the start signal stops the informer', async () => {
    const ac = new AbortController();
    make();
    await startAndSync(ac.signal);
    assert.equal(client.watchCount(), 1);
    ac.abort();
    await settle();
    assert.equal(client.watchCount(), 0);
    assert.throws(() => informer.start(), /already started/);
  });

  test('a 410 on a list continue token starts the list over', async () => {
    for (let i = 0; i < 4; i++) await client.create(CONFIGMAPS, cm('a', `o${i}`));
    // The first page is served, then history is compacted before the second page is asked for.
    const list = client.list.bind(client);
    let pages = 0;
    client.list = async (info, ns, opts) => {
      const page = await list(info, ns, opts);
      if (++pages === 1) {
        await client.create(SECRETS, { metadata: { name: 'bump', namespace: 'a' } });
        client.compact();
      }
      return page as never;
    };
    make({ pageSize: 2 }).start();
    assert.equal(await informer.waitForSync(), true);
    assert.equal(informer.indexer.size, 4);
    assert.ok(logs.some((l) => /relisting in 0ms after: The provided continue parameter is too old/.test(l)), logs.join('\n'));
  });
});
