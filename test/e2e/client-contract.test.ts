// The client contract suite (src/client/client-contract.ts) against a real skiff server, once
// over HTTPS (as agents on other machines talk) and once in-process (as components inside
// `skiff server` talk): both must behave the same.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientContract } from '../../src/client/client-contract.js';
import { HttpClient } from '../../src/client/http-client.js';
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
