// An object stored before skiff checked JSON types (decode-types.ts) may hold a value of the
// wrong type. Writes to it must still go through — status, finalizers, a fix of the bad field —
// or it could never be changed or deleted gracefully; new objects with such values are refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isApiError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/object.js';
import { findResource } from '../../src/api/resources.js';
import { parseServerFlags } from '../../src/cli/flags.js';
import { startServer, type RunningServer } from '../../src/cli/server.js';
import { objectStoreKey } from '../../src/registry/keys.js';

const PODS = findResource('', 'v1', 'pods')!;
let server: RunningServer;
let dataDir: string;
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-typed-'));
  server = await startServer(parseServerFlags(['--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', '--cluster-cidr', '198.18.0.0/17', '--service-cidr', '198.18.128.0/17', '--storage', 'memory', '--disable-agent', '--disable-controllers']));
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('an object stored with a wrongly typed value can still be patched, updated and deleted; a new one cannot be made', async () => {
  // written to the store directly, as an older skiff stored it: `[true]` where strings go, in a
  // field no hand-written validation covers (what made typed clients fail to decode the object)
  const pod = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox', readinessProbe: { exec: { command: [true] } } }] },
  });
  const client = server.inProcessClient('typed-test');
  const good = pod('old');
  good.spec.containers[0]!.readinessProbe.exec.command = ['MARK'] as unknown as boolean[];
  await client.create(PODS, good as unknown as KubeObject);
  const key = objectStoreKey(PODS, 'default', 'old');
  const kv = (await server.store.get(key))!;
  await server.store.update(key, kv.value.replace('["MARK"]', '[true]'), kv.modRevision);
  assert.match((await server.store.get(key))!.value, /"command":\[true\]/);
  const patched = await client.patch(PODS, 'default', 'old', { metadata: { labels: { seen: 'yes' }, finalizers: ['example.com/hold'] } }, 'merge');
  assert.equal(patched.metadata?.labels?.seen, 'yes');
  const withStatus = await client.updateStatus(PODS, { ...(patched as KubeObject), status: { phase: 'Running' } } as KubeObject);
  assert.equal((withStatus as { status?: { phase?: string } }).status?.phase, 'Running', 'status writes go through');
  await assert.rejects(
    client.create(PODS, pod('new') as unknown as KubeObject),
    (e: unknown) => isApiError(e) && e.code === 400 && /cannot unmarshal bool into Go struct field ExecAction\.spec\.containers\.readinessProbe\.exec\.command of type string/.test(e.message),
  );
  await client.delete(PODS, 'default', 'old', { gracePeriodSeconds: 0 });
  await client.patch(PODS, 'default', 'old', { metadata: { finalizers: null } }, 'merge');
  await assert.rejects(client.get(PODS, 'default', 'old'), (e: unknown) => isApiError(e) && e.code === 404, 'deleted once its finalizer is gone');
  client.close();
});
