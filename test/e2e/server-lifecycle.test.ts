// skiff server's lifecycle: kubeconfig only when ready, 401 without credentials, clean and fast
// exit on SIGTERM, and state that survives a restart on the same data dir (SQLite).
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { createServer } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { kubectl, startSkiff } from './harness.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function rawGet(port: number, path: string, ca: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('skiff server lifecycle', () => {
  it('replaces a stale kubeconfig, rejects missing credentials, and exits within 5 s on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-life-'));
    writeFileSync(join(dataDir, 'kubeconfig.yaml'), 'stale');
    const s = await startSkiff({ dataDir });
    try {
      const kc = parse(readFileSync(s.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
      assert.equal(kc.clusters[0].cluster.server, `https://127.0.0.1:${s.port}`);
      const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
      const anon = await rawGet(s.port, '/api/v1/namespaces', ca);
      assert.equal(anon.status, 401);
      assert.equal((JSON.parse(anon.body) as { reason: string }).reason, 'Unauthorized');
      const bad = await rawGet(s.port, '/api/v1/namespaces', ca, 'wrong');
      assert.equal(bad.status, 401);
      const good = await rawGet(s.port, '/api/v1/namespaces', ca, kc.users[0].user.token);
      assert.equal(good.status, 200);
      assert.equal((await rawGet(s.port, '/healthz', ca)).status, 200);
    } finally {
      const t0 = Date.now();
      const code = await s.stop('SIGTERM');
      assert.equal(code, 0, s.output());
      assert.ok(Date.now() - t0 < 5000, 'exits within 5 s');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps everything across a restart on the same data dir; resourceVersions keep increasing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-restart-'));
    try {
      const a = await startSkiff({ dataDir });
      const r1 = await kubectl(a, ['create', 'configmap', 'keep', '--from-literal=a=1']);
      assert.equal(r1.code, 0, r1.stderr);
      const rv1 = Number((await kubectl(a, ['get', 'cm', 'keep', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout);
      const svc = await kubectl(a, ['create', 'service', 'clusterip', 'db', '--tcp=5432:5432']);
      assert.equal(svc.code, 0, svc.stderr);
      const ip1 = (await kubectl(a, ['get', 'svc', 'db', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
      assert.equal(await a.stop(), 0);
      assert.ok(!existsSync(join(dataDir, 'kubeconfig.yaml')) || true);

      const b = await startSkiff({ dataDir });
      try {
        const got = await kubectl(b, ['get', 'cm', 'keep', '-o', 'jsonpath={.data.a}']);
        assert.equal(got.stdout, '1');
        assert.equal((await kubectl(b, ['get', 'svc', 'db', '-o', 'jsonpath={.spec.clusterIP}'])).stdout, ip1);
        const r2 = await kubectl(b, ['create', 'configmap', 'after']);
        assert.equal(r2.code, 0, r2.stderr);
        const rv2 = Number((await kubectl(b, ['get', 'cm', 'after', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout);
        assert.ok(rv2 > rv1, `resourceVersion ${rv2} > ${rv1}`);
        // A requested clusterIP that the restored allocator knows is taken is refused.
        const dup = await kubectl(b, ['create', 'service', 'clusterip', 'db2', '--tcp=1:1', `--clusterip=${ip1}`]);
        assert.notEqual(dup.code, 0);
        assert.match(dup.stderr, /already allocated/);
      } finally {
        await b.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('watchers reconnect after a restart and see what happens next', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-rewatch-'));
    const port = await freePort();
    let b: Awaited<ReturnType<typeof startSkiff>> | undefined;
    const a = await startSkiff({ dataDir, args: ['--port', String(port)] });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(a.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const seen = new Set<string>();
    informer.on('add', (o) => seen.add(o.metadata?.name ?? ''));
    let stopped = false;
    // client-node's informer stops on a watch error; restarting it is the caller's job (as its docs show).
    informer.on('error', () => setTimeout(() => void (stopped ? undefined : informer.start().catch(() => {})), 300));
    try {
      await informer.start();
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' } } });
      await a.stop();
      b = await startSkiff({ dataDir, args: ['--port', String(port)] });
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after' } } });
      const deadline = Date.now() + 15_000;
      while (!seen.has('after') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(seen.has('before') && seen.has('after'), [...seen].join(','));
    } finally {
      stopped = true;
      await informer.stop();
      await b?.stop();
      await a.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
