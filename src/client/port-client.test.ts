// PortClient ↔ serveClient over a MessageChannel must keep the Client contract of what it serves
// (here the FakeClient; test/e2e/client-contract.test.ts serves the in-process client), plus what
// only a port can do: cancellation crosses it, and a closed port fails calls instead of hanging.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { isNotFound } from '../api/errors.js';
import type { WatchEvent } from './client.js';
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
