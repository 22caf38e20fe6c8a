// The client contract suite (src/client/client-contract.ts) against a real skiff server: over
// HTTPS (as agents on other machines talk), in-process, and over a MessagePort to the in-process
// client (as the control loops in `skiff server`'s worker thread talk): all must behave the same.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { InProcessClient } from '../../src/apiserver/in-process-client.js';
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
// in-process client, which hands on watch events and results as JSON text.
clientContract('message port to the in-process client', async () => {
  const { server, dataDir } = await serve();
  const { port1, port2 } = new MessageChannel();
  const stopServing = serveClients((userAgent) => (server.inProcessClient(userAgent) as unknown as InProcessClient).withJSONResults(), port1);
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
