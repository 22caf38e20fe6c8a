// The FakeClient (a hand-written in-memory fake of Client, for unit tests) must keep the same
// contract as the real clients: run the contract suite against it, plus its own test hooks.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { GoneError, isGone } from '../api/errors.js';
import type { WatchEvent } from './client.js';
import { resourceInfo } from './client.js';
import { clientContract } from './client-contract.js';
import { FakeClient } from './fake-client.js';
import { settle } from './fake-clock.js';

const NAMESPACES = resourceInfo('', 'v1', 'namespaces');
const CONFIGMAPS = resourceInfo('', 'v1', 'configmaps');

clientContract('FakeClient', async () => {
  const client = new FakeClient();
  await client.create(NAMESPACES, { metadata: { name: 'default' } });
  return { client, compact: async () => client.compact() };
});

test('FakeClient test hooks: endWatches resolves, failWatches rejects, sendBookmarks, injectError', async () => {
  const c = new FakeClient();
  const events: WatchEvent[] = [];
  const clean = c.watch(CONFIGMAPS, 'ns', { allowWatchBookmarks: true }, (e) => events.push(e));
  await settle();
  c.sendBookmarks();
  await settle();
  assert.deepEqual(events.map((e) => e.type), ['BOOKMARK']);
  c.endWatches();
  assert.equal(await clean, undefined);
  assert.equal(c.watchCount(), 0);

  const failing = c.watch(CONFIGMAPS, 'ns', {}, () => undefined);
  await settle();
  c.failWatches(new GoneError('too old'));
  await assert.rejects(failing, (e: unknown) => isGone(e));

  c.injectError('get', new Error('boom'), 2);
  await assert.rejects(c.get(CONFIGMAPS, 'ns', 'x'), /boom/);
  await assert.rejects(c.get(CONFIGMAPS, 'ns', 'x'), /boom/);
  await assert.rejects(c.get(CONFIGMAPS, 'ns', 'x'), (e: unknown) => e instanceof Error && e.name === 'NotFound');
});

test('FakeClient: objects with finalizers are marked for deletion and removed with their last finalizer', async () => {
  const c = new FakeClient();
  await c.create(CONFIGMAPS, { metadata: { name: 'f', namespace: 'ns', finalizers: ['x'] } });
  await c.delete(CONFIGMAPS, 'ns', 'f');
  const marked = await c.get(CONFIGMAPS, 'ns', 'f');
  assert.ok(marked.metadata?.deletionTimestamp);
  await c.update(CONFIGMAPS, { ...marked, metadata: { ...marked.metadata, finalizers: [] } });
  await assert.rejects(c.get(CONFIGMAPS, 'ns', 'f'), (e: unknown) => e instanceof Error && e.name === 'NotFound');
});
