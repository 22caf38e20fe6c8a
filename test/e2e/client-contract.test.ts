// The client contract suite (src/client/client-contract.ts) against a real skiff server: over
// HTTPS (as agents on other machines talk), in-process, and over a MessagePort to the in-process
// client (as the control loops in `skiff server`'s worker thread talk): all must behave the same.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { InProcessClient } from '../../src/apiserver/in-process-client.js';
import type { KubeObject } from '../../src/api/object.js';
import { findResource } from '../../src/api/resources.js';
import { clientContract } from '../../src/client/client-contract.js';
import { HttpClient } from '../../src/client/http-client.js';
import { PortConnection, serveClients } from '../../src/client/port-client.js';
import { parseServerFlags } from '../../src/cli/flags.js';
import { startServer, type RunningServer } from '../../src/cli/server.js';

async function serve(): Promise<{ server: RunningServer; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-contract-'));
  const server = await startServer(parseServerFlags(['--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', '--cluster-cidr', '198.18.0.0/17', '--service-cidr', '198.18.128.0/17', '--storage', 'memory', '--disable-agent']));
  return { server, dataDir };
}

clientContract('HTTPS', async () => {
  const { server, dataDir } = await serve();
  const client = HttpClient.fromKubeconfig(server.kubeconfigPath);
  return {
    client,
    compact: () => server.store.compact(server.store.currentRevision()),
    close: async () => {
      client.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

clientContract('in-process', async () => {
  const { server, dataDir } = await serve();
  const client = server.inProcessClient();
  return {
    client,
    compact: () => server.store.compact(server.store.currentRevision()),
    close: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

// As the control loops' thread of `skiff server` talks: a PortClient over a MessagePort to the
// in-process client, which hands on watch events and results as JSON text, and is handed the
// objects it writes (parsed from the thread's JSON text for that call).
clientContract('message port to the in-process client', async () => {
  const { server, dataDir } = await serve();
  const { port1, port2 } = new MessageChannel();
  const stopServing = serveClients((userAgent) => (server.inProcessClient(userAgent) as unknown as InProcessClient).withJSONResults().takingWrittenObjects(), port1);
  const conn = new PortConnection(port2);
  return {
    client: conn.client('contract-test/1'),
    compact: () => server.store.compact(server.store.currentRevision()),
    close: async () => {
      conn.close();
      stopServing();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

test('in-process writes copy the caller\'s object unless it was handed over (takingWrittenObjects)', async () => {
  const { server, dataDir } = await serve();
  try {
    const configMaps = findResource('', 'v1', 'configmaps')!;
    const kept: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept', namespace: 'default' }, data: { a: '1' } };
    const created = await server.inProcessClient().create(configMaps, kept);
    assert.ok(created.metadata?.uid);
    assert.deepEqual(kept, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept', namespace: 'default' }, data: { a: '1' } });

    const handed: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'handed', namespace: 'default' }, data: { a: '1' } };
    const client = (server.inProcessClient('test/1') as unknown as InProcessClient).takingWrittenObjects();
    const got = await client.create(configMaps, handed);
    // the registry kept the object it was handed: the uid it stored is on it
    assert.ok(got.metadata?.uid);
    assert.equal(handed.metadata?.uid, got.metadata?.uid);
    await client.update(configMaps, { ...got, data: { a: '2' } } as KubeObject);
    assert.deepEqual((await server.inProcessClient().get(configMaps, 'default', 'handed')).data, { a: '2' });
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
