// PortClient ↔ serveClient over a MessageChannel must keep the Client contract of what it serves
// (here the FakeClient; test/e2e/client-contract.test.ts serves the in-process client), plus what
// only a port can do: cancellation crosses it, and a closed port fails calls instead of hanging.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { isNotFound } from '../api/errors.js';
import type { WatchEvent, WatchOptions } from './client.js';
import { resourceInfo } from './client.js';
import { clientContract } from './client-contract.js';
import { FakeClient } from './fake-client.js';
import { PortConnection, serveClients, type PortClient } from './port-client.js';

const NAMESPACES = resourceInfo('', 'v1', 'namespaces');
const CONFIGMAPS = resourceInfo('', 'v1', 'configmaps');

async function pair(): Promise<{ fake: FakeClient; client: PortClient; conn: PortConnection; stop: () => void }> {
  const fake = new FakeClient();
  await fake.create(NAMESPACES, { metadata: { name: 'default' } });
  const { port1, port2 } = new MessageChannel();
  const stop = serveClients(() => fake, port1);
  const conn = new PortConnection(port2);
  return { fake, client: conn.client('test/1'), conn, stop };
}

clientContract('PortClient over a MessageChannel', async () => {
  const { fake, client, conn, stop } = await pair();
  return {
    client,
    compact: async () => fake.compact(),
    close: async () => {
      conn.close();
      stop();
    },
  };
});

test('PortClient: errors keep their kind, aborts cross the port, a closed port fails calls', async () => {
  const { fake, client, conn, stop } = await pair();
  try {
    await assert.rejects(client.get(CONFIGMAPS, 'default', 'missing'), (e) => isNotFound(e));
    await assert.rejects(client.get(CONFIGMAPS, undefined, 'x'), TypeError);

    // an aborted watch resolves, and the host's watch ends with it
    const ac = new AbortController();
    const events: WatchEvent[] = [];
    const watching = client.watch(CONFIGMAPS, 'default', {}, (e) => events.push(e), ac.signal);
    await new Promise((r) => setTimeout(r, 20));
    await client.create(CONFIGMAPS, { metadata: { name: 'a', namespace: 'default' } });
    for (let i = 0; i < 100 && !events.length; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata?.name]), [['ADDED', 'a']]);
    ac.abort();
    assert.equal(await watching, undefined);

    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(client.get(CONFIGMAPS, 'default', 'a', { signal: aborted.signal }), (e: Error) => e.name === 'AbortError');
    assert.equal((await fake.get(CONFIGMAPS, 'default', 'a')).metadata?.name, 'a');
  } finally {
    stop();
  }
  // the host side is gone: calls reject instead of waiting forever
  await assert.rejects(client.get(CONFIGMAPS, 'default', 'a'), /closed/);
  conn.close();
});

test('PortConnection stripManagedFields: readOnly watches and results get objects without managedFields (as kube-scheduler informers keep them), other watches keep them', async () => {
  const fake = new FakeClient();
  await fake.create(NAMESPACES, { metadata: { name: 'default' } });
  // a host that offers watch events as JSON text with their revision, as the in-process client does
  const host = Object.assign(Object.create(fake) as FakeClient, {
    watchJSON: (info: typeof CONFIGMAPS, ns: string | undefined, opts: WatchOptions, onEvent: (e: { type: WatchEvent['type']; object: string; revision?: number }) => void, signal?: AbortSignal) =>
      fake.watch(info, ns, opts, (e) => onEvent({ type: e.type, object: JSON.stringify(e.object), revision: Number(e.object.metadata?.resourceVersion ?? 0) }), signal),
  });
  for (const [label, server] of [['JSON events', host], ['structured-clone events', fake]] as const) {
    const { port1, port2 } = new MessageChannel();
    const stop = serveClients(() => server, port1);
    const conn = new PortConnection(port2, { stripManagedFields: true });
    const client = conn.client('test/1');
    const ac = new AbortController();
    const shared: WatchEvent[] = [];
    const own: WatchEvent[] = [];
    try {
      const rv = (await client.list(CONFIGMAPS, 'default')).resourceVersion;
      const name = label.startsWith('JSON') ? 'j' : 's';
      void client.watch(CONFIGMAPS, 'default', { resourceVersion: rv, readOnly: true }, (e) => e.object.metadata?.name === name && shared.push(e), ac.signal);
      void client.watch(CONFIGMAPS, 'default', { resourceVersion: rv }, (e) => e.object.metadata?.name === name && own.push(e), ac.signal);
      const managedFields = [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }];
      const created = await client.create(CONFIGMAPS, { metadata: { name, namespace: 'default', labels: { a: 'b' }, managedFields }, data: { k: 'v' } });
      assert.equal(created.metadata?.managedFields, undefined, `${label}: a write's result has no managedFields`);
      assert.deepEqual(created.metadata?.labels, { a: 'b' }, `${label}: the rest of a result's metadata stays`);
      assert.equal((await client.get(CONFIGMAPS, 'default', name)).metadata?.managedFields, undefined, `${label}: nor a get's`);
      const listed = (await client.list(CONFIGMAPS, 'default')).items.find((o) => o.metadata?.name === name);
      assert.deepEqual([listed?.metadata?.name, listed?.metadata?.managedFields], [name, undefined], `${label}: nor a list's items`);
      assert.deepEqual((await fake.get(CONFIGMAPS, 'default', name)).metadata?.managedFields, managedFields, `${label}: the stored object keeps them`);
      for (let i = 0; i < 200 && (!shared.length || !own.length); i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(shared.length, 1, label);
      assert.equal(shared[0]!.object.metadata?.managedFields, undefined, label);
      assert.deepEqual(shared[0]!.object.metadata?.labels, { a: 'b' }, `${label}: the rest of metadata stays`);
      assert.deepEqual(own[0]!.object.metadata?.managedFields, managedFields, `${label}: a watch that is not readOnly gets the whole object`);
    } finally {
      ac.abort();
      conn.close();
      stop();
    }
  }
});

test('PortClient.createWithoutResult creates without carrying the object back; failures still reject', async () => {
  const { fake, client, conn, stop } = await pair();
  try {
    const cm = { metadata: { name: 'quiet', namespace: 'default' }, data: { k: 'v' } };
    assert.equal(await client.createWithoutResult(CONFIGMAPS, cm), undefined);
    assert.deepEqual((await fake.get(CONFIGMAPS, 'default', 'quiet')).data, { k: 'v' });
    await assert.rejects(client.createWithoutResult(CONFIGMAPS, cm), (e: Error & { code?: number }) => e.code === 409);
  } finally {
    conn.close();
    stop();
  }
});

test('serveClients cuts managedFields out of the JSON texts of a watch or call that asks (strip), once per revision, and keeps them for the others', async () => {
  const stored = (name: string) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: '7', managedFields: [{ manager: 'm', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }] }, data: { k: 'v' } });
  const host = Object.assign(Object.create(new FakeClient()) as FakeClient, {
    watchJSON: async (_info: unknown, _ns: unknown, _opts: unknown, onEvent: (e: { type: WatchEvent['type']; object: string; revision?: number }) => void) => {
      onEvent({ type: 'ADDED', object: stored('a'), revision: 7 });
    },
    // a host client that answers with JSON text, as the in-process one withJSONResults()
    get: async (_info: unknown, _ns: unknown, name: string) => stored(name),
  });
  const { port1, port2 } = new MessageChannel();
  const stop = serveClients(() => host, port1);
  try {
    const batch = new Promise<{ items: { t: string; id: number; events?: [string, number][] }[]; texts: string[]; revisions: number[] }>((resolve) => port2.once('message', resolve));
    const args = [CONFIGMAPS, 'default', { readOnly: true }];
    port2.postMessage([
      { t: 'watch', id: 1, ua: 'test/1', args, strip: true },
      { t: 'watch', id: 2, ua: 'test/1', args, strip: true },
      { t: 'watch', id: 3, ua: 'test/1', args },
    ]);
    const { items, texts, revisions } = await batch;
    const textOf = (id: number) => texts[items.find((m) => m.id === id)!.events![0]![1]]!;
    assert.deepEqual(JSON.parse(textOf(1)).metadata, { name: 'a', namespace: 'default', resourceVersion: '7' });
    assert.equal(textOf(1), textOf(2));
    assert.equal(textOf(3), stored('a'));
    assert.deepEqual([texts.length, revisions], [2, [7, 7]]);

    // the answers may come in one batch or two (after the ends of the watches above)
    const answered: { t: string; id: number; json?: string }[] = [];
    const results = new Promise<void>((resolve) => {
      const onBatch = (b: { items: typeof answered }) => {
        answered.push(...b.items);
        if ([4, 5].every((id) => answered.some((m) => m.id === id))) resolve(void port2.off('message', onBatch));
      };
      port2.on('message', onBatch);
    });
    port2.postMessage([
      { t: 'call', id: 4, ua: 'test/1', method: 'get', args: [CONFIGMAPS, 'default', 'b'], strip: true },
      { t: 'call', id: 5, ua: 'test/1', method: 'get', args: [CONFIGMAPS, 'default', 'b'] },
    ]);
    await results;
    assert.deepEqual(JSON.parse(answered.find((m) => m.id === 4)!.json!).metadata, { name: 'b', namespace: 'default', resourceVersion: '7' });
    assert.equal(answered.find((m) => m.id === 5)!.json, stored('b'));
  } finally {
    stop();
    port2.close();
  }
});

test('PortConnection: a text that does not parse fails its call or ends its watch, and the connection goes on', async () => {
  const fake = new FakeClient();
  await fake.create(NAMESPACES, { metadata: { name: 'default' } });
  const host = Object.assign(Object.create(fake) as FakeClient, {
    watchJSON: async (_info: unknown, _ns: unknown, _opts: unknown, onEvent: (e: { type: WatchEvent['type']; object: string; revision?: number }) => void, signal?: AbortSignal) => {
      onEvent({ type: 'ADDED', object: '{"metadata":', revision: 3 });
      await new Promise((r) => signal?.addEventListener('abort', r, { once: true }));
    },
    get: async () => '{"metadata":',
  });
  const { port1, port2 } = new MessageChannel();
  const stop = serveClients(() => host, port1);
  const conn = new PortConnection(port2, { stripManagedFields: true });
  const client = conn.client('test/1');
  try {
    await assert.rejects(client.get(CONFIGMAPS, 'default', 'x'), /client port: could not read the API's answer/);
    const events: WatchEvent[] = [];
    await assert.rejects(client.watch(CONFIGMAPS, 'default', { readOnly: true }, (e) => events.push(e)), /client port: could not read the API's answer/);
    assert.equal(events.length, 0);
    // the thread's other calls still work
    assert.equal((await client.list(NAMESPACES, undefined)).items.length, 1);
  } finally {
    conn.close();
    stop();
  }
});
