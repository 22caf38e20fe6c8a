// HttpClient against a scripted local HTTPS server (127.0.0.1, self-signed certificate made for
// the test): what goes on the wire (paths, queries, headers, bodies) and how answers, Status
// errors and watch streams come back. The whole contract against a real skiff server is
// client-contract.ts, run by the API server's tests.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { isApiError, isConflict, isGone, isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { WatchEvent } from './client.js';
import { resourceInfo } from './client.js';
import { HttpClient, errorFromResponse, parseWatchLine } from './http-client.js';

const PODS = resourceInfo('', 'v1', 'pods');
const DEPLOYMENTS = resourceInfo('apps', 'v1', 'deployments');
const NODES = resourceInfo('', 'v1', 'nodes');
const TOKEN = 'test-token-123';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Handler = (req: Seen, res: ServerResponse) => void;

// Test-only TLS material: a self-signed P-256 certificate for IP 127.0.0.1, valid until 2126
// (made with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -addext subjectAltName=IP:127.0.0.1`).
const TEST_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBoTCCAUagAwIBAgIUD/2NWyhGshUEN/0RghXnoYs6hdcwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRc2tpZmYtY2xpZW50LXRlc3QwIBcNMjYxMTI2MTM0NjEzWhgP
MjEyNjExMDIxMzQ2MTNaMBwxGjAYBgNVBAMMEXNraWZmLWNsaWVudC10ZXN0MFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEgE7nX+4xZhqReglBAGpHKX6U3jJSN1IY
z0eu9B0G4b2IvSXYeM7A8YjKCbEYL4BDAtJfRGQDs51Aa79ayuZdWaNkMGIwHQYD
VR0OBBYEFODhceFQD+JioDUQZBJkaSJa0Q7VMB8GA1UdIwQYMBaAFODhceFQD+Ji
oDUQZBJkaSJa0Q7VMA8GA1UdEQQIMAaHBH8AAAEwDwYDVR0TAQH/BAUwAwEB/zAK
BggqhkjOPQQDAgNJADBGAiEAlwNnLoX6wKC0fvzIy2HNBzQLkD+30EXVVZg1Rnt3
N6ECIQDN4evL+//nUWbmCIcnuJaaKwphvInDGJref/rISwhDmg==
-----END CERTIFICATE-----
`;
const TEST_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyPbVxExXSXYIucVG
84WdWf8oUtYC3LWg7bQc8MXHqEOhRANCAASATudf7jFmGpF6CUEAakcpfpTeMlI3
UhjPR670HQbhvYi9Jdh4zsDxiMoJsRgvgEMC0l9EZAOznUBrv1rK5l1Z
-----END PRIVATE KEY-----
`;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message };
}

describe('HttpClient', () => {
  let server: Server;
  let caPem: string;
  let url: string;
  let client: HttpClient;
  let handler: Handler;
  const seen: Seen[] = [];
  const closed: string[] = [];
  let dir: string;

  before(async () => {
    caPem = TEST_CERT_PEM;
    server = createServer({ cert: TEST_CERT_PEM, key: TEST_KEY_PEM }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        seen.push(s);
        res.on('close', () => closed.push(s.url));
        handler(s, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    url = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    client = new HttpClient({ server: url, caPem, token: TOKEN, userAgent: 'skiff-test/1.0' });
    dir = mkdtempSync(join(tmpdir(), 'skiff-client-'));
  });

  after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    seen.length = 0;
    closed.length = 0;
    handler = (_req, res) => json(res, 500, status(500, 'InternalError', 'no handler'));
  });

  test('get: path, bearer token, Accept and User-Agent; the object comes back', async () => {
    handler = (_req, res) => json(res, 200, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'prod', resourceVersion: '7' } });
    const pod = await client.get(PODS, 'prod', 'web');
    assert.equal(pod.metadata?.resourceVersion, '7');
    assert.equal(seen[0]!.method, 'GET');
    assert.equal(seen[0]!.url, '/api/v1/namespaces/prod/pods/web');
    assert.equal(seen[0]!.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(seen[0]!.headers.accept, 'application/json');
    assert.equal(seen[0]!.headers['user-agent'], 'skiff-test/1.0');

    handler = (_req, res) => json(res, 200, { metadata: { name: 'n1' } });
    const node = await client.get(NODES, 'ignored', 'n1');
    assert.equal(seen[1]!.url, '/api/v1/nodes/n1');
    assert.equal(node.kind, 'Node', 'missing apiVersion/kind are filled in');
    assert.equal(node.apiVersion, 'v1');
  });

  test('a Status error becomes the ApiError it describes', async () => {
    handler = (_req, res) => json(res, 404, { ...status(404, 'NotFound', 'pods "web" not found'), details: { name: 'web', kind: 'pods' } });
    await assert.rejects(client.get(PODS, 'prod', 'web'), (e: unknown) => {
      assert.ok(isNotFound(e));
      assert.ok(isApiError(e));
      assert.equal(e.code, 404);
      assert.equal(e.message, 'pods "web" not found');
      assert.equal(e.details?.name, 'web');
      return true;
    });
  });

  test('a non-Status error body gets the reason of its HTTP code', async () => {
    handler = (_req, res) => {
      res.writeHead(409, { 'Content-Type': 'text/plain' });
      res.end('busy');
    };
    await assert.rejects(client.get(PODS, 'prod', 'web'), (e: unknown) => {
      assert.ok(isConflict(e));
      assert.match((e as Error).message, /status code 409.*busy/);
      return true;
    });
  });

  test('list: query parameters, items with type meta, resourceVersion and continue', async () => {
    handler = (_req, res) =>
      json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '42', continue: 'tok2', remainingItemCount: 3 }, items: [{ metadata: { name: 'a' } }] });
    const page = await client.list(PODS, 'prod', { labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1', limit: 1, continue: 'tok1', resourceVersion: '0' });
    const u = new URL(seen[0]!.url, url);
    assert.equal(u.pathname, '/api/v1/namespaces/prod/pods');
    assert.deepEqual(Object.fromEntries(u.searchParams), { labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1', limit: '1', continue: 'tok1', resourceVersion: '0' });
    assert.equal(page.resourceVersion, '42');
    assert.equal(page.continue, 'tok2');
    assert.equal(page.remainingItemCount, 3);
    assert.equal(page.items[0]!.kind, 'Pod');

    handler = (_req, res) => json(res, 200, { metadata: { resourceVersion: '43' }, items: [] });
    const all = await client.list(DEPLOYMENTS, undefined);
    assert.equal(seen[1]!.url, '/apis/apps/v1/deployments', 'no namespace lists across all namespaces');
    assert.equal(all.continue, undefined);
  });

  test('writes: methods, paths, content types, bodies and query options', async () => {
    handler = (req, res) => json(res, req.method === 'POST' ? 201 : 200, req.method === 'DELETE' ? { kind: 'Status', status: 'Success' } : { metadata: { name: 'web', namespace: 'prod' } });
    const obj: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod', resourceVersion: '5' }, spec: { replicas: 2 } };
    const before = JSON.stringify(obj);
    await client.create(DEPLOYMENTS, { ...obj, metadata: { name: 'web', namespace: 'prod' } }, { dryRun: true, fieldManager: 'me' });
    await client.update(DEPLOYMENTS, obj);
    await client.updateStatus(DEPLOYMENTS, obj);
    await client.patch(DEPLOYMENTS, 'prod', 'web', { spec: { replicas: 3 } }, 'strategic');
    await client.patch(DEPLOYMENTS, 'prod', 'web', { status: { replicas: 1 } }, 'merge', { subresource: 'status' });
    await client.patch(DEPLOYMENTS, 'prod', 'web', { spec: { replicas: 3 } }, 'apply', { fieldManager: 'skiff', force: true });
    await client.delete(DEPLOYMENTS, 'prod', 'web', { propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: 'u1' } });
    await client.deleteCollection(DEPLOYMENTS, 'prod', { labelSelector: 'app=web' });
    assert.equal(JSON.stringify(obj), before, 'inputs are not mutated');

    const rows = seen.map((s) => [s.method, s.url, s.headers['content-type']]);
    assert.deepEqual(rows, [
      ['POST', '/apis/apps/v1/namespaces/prod/deployments?dryRun=All&fieldManager=me', 'application/json'],
      ['PUT', '/apis/apps/v1/namespaces/prod/deployments/web', 'application/json'],
      ['PUT', '/apis/apps/v1/namespaces/prod/deployments/web/status', 'application/json'],
      ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/web', 'application/strategic-merge-patch+json'],
      ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/web/status', 'application/merge-patch+json'],
      ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/web?fieldManager=skiff&force=true', 'application/apply-patch+yaml'],
      ['DELETE', '/apis/apps/v1/namespaces/prod/deployments/web', 'application/json'],
      ['DELETE', '/apis/apps/v1/namespaces/prod/deployments?labelSelector=app%3Dweb', 'application/json'],
    ]);
    assert.deepEqual(JSON.parse(seen[1]!.body), obj);
    assert.deepEqual(JSON.parse(seen[3]!.body), { spec: { replicas: 3 } });
    assert.deepEqual(JSON.parse(seen[6]!.body), {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      preconditions: { uid: 'u1' },
    });
  });

  test('bind and scale use their subresources', async () => {
    handler = (req, res) => {
      if (req.url.endsWith('/binding')) return json(res, 201, { kind: 'Status', status: 'Success' });
      json(res, 200, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', resourceVersion: '9' }, spec: { replicas: 4 }, status: { replicas: 2, selector: 'app=web' } });
    };
    await client.bind('prod', 'web-1', 'node-a');
    assert.equal(seen[0]!.url, '/api/v1/namespaces/prod/pods/web-1/binding');
    assert.deepEqual(JSON.parse(seen[0]!.body), {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'web-1', namespace: 'prod' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
    });
    const s = await client.getScale(DEPLOYMENTS, 'prod', 'web');
    assert.deepEqual([s.spec.replicas, s.status.replicas, s.status.selector], [4, 2, 'app=web']);
    await client.updateScale(DEPLOYMENTS, 'prod', 'web', 4, { resourceVersion: '9' });
    assert.equal(seen[2]!.method, 'PUT');
    assert.equal(seen[2]!.url, '/apis/apps/v1/namespaces/prod/deployments/web/scale');
    const body = JSON.parse(seen[2]!.body) as { metadata: unknown; spec: unknown };
    assert.deepEqual(body.metadata, { name: 'web', namespace: 'prod', resourceVersion: '9' });
    assert.deepEqual(body.spec, { replicas: 4 });
  });

  test('a namespaced call without a namespace is a TypeError and sends nothing', async () => {
    await assert.rejects(client.get(PODS, undefined, 'web'), TypeError);
    await assert.rejects(client.create(PODS, { metadata: { name: 'web' } }), TypeError);
    await assert.rejects(client.update(PODS, { metadata: { namespace: 'prod' } }), TypeError);
    assert.equal(seen.length, 0);
  });

  test('an aborted request rejects with AbortError', async () => {
    handler = () => undefined; // never answers
    const ac = new AbortController();
    const p = client.get(PODS, 'prod', 'slow', { signal: ac.signal });
    await waitUntil(() => seen.length === 1);
    ac.abort();
    await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === 'AbortError');
  });

  test('watch: query, events split across chunks, bookmarks, clean end', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const lines =
        `{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"11"}}}\n` +
        `{"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"12"},"data":{"k":"é€"}}}\n` +
        `{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"13"}}}\n` +
        `\n{"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"14"}}}\n`;
      const bytes = Buffer.from(lines);
      // Odd-sized chunks split JSON and multi-byte characters.
      let i = 0;
      const step = () => {
        if (i >= bytes.length) return res.end();
        res.write(bytes.subarray(i, i + 7));
        i += 7;
        setImmediate(step);
      };
      step();
    };
    const events: WatchEvent[] = [];
    await client.watch(PODS, 'prod', { resourceVersion: '10', labelSelector: 'app=web', allowWatchBookmarks: true, timeoutSeconds: 30 }, (e) => events.push(e));
    const u = new URL(seen[0]!.url, url);
    assert.equal(u.pathname, '/api/v1/namespaces/prod/pods');
    assert.deepEqual(Object.fromEntries(u.searchParams), { watch: 'true', resourceVersion: '10', labelSelector: 'app=web', allowWatchBookmarks: 'true', timeoutSeconds: '30' });
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata?.resourceVersion]),
      [
        ['ADDED', '11'],
        ['MODIFIED', '12'],
        ['BOOKMARK', '13'],
        ['DELETED', '14'],
      ],
    );
    assert.deepEqual(events[1]!.object.data, { k: 'é€' });
    assert.equal(events[0]!.object.kind, 'Pod');
  });

  test('watch: an ERROR event rejects with its Status (410 Gone)', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`{"type":"ERROR","object":${JSON.stringify(status(410, 'Expired', 'too old resource version: 1 (5)'))}}\n`);
    };
    const events: WatchEvent[] = [];
    await assert.rejects(client.watch(PODS, 'prod', { resourceVersion: '1' }, (e) => events.push(e)), (e: unknown) => {
      assert.ok(isGone(e));
      assert.equal((e as Error).message, 'too old resource version: 1 (5)');
      return true;
    });
    assert.equal(events.length, 0);
    await waitUntil(() => closed.length === 1);
  });

  test('watch: a refused request rejects with the ApiError', async () => {
    handler = (_req, res) => json(res, 410, status(410, 'Gone', 'gone'));
    await assert.rejects(client.watch(PODS, 'prod', { resourceVersion: '1' }, () => undefined), (e: unknown) => isGone(e));
  });

  test('watch: aborting resolves and closes the stream', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}\n`);
    };
    const ac = new AbortController();
    const events: WatchEvent[] = [];
    const done = client.watch(PODS, undefined, {}, (e) => {
      events.push(e);
      ac.abort();
    }, ac.signal);
    assert.equal(await done, undefined);
    assert.equal(events.length, 1);
    await waitUntil(() => closed.length === 1);
  });

  test('watch: a handler that throws ends the watch with its error', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"ADDED","object":{"metadata":{"name":"b"}}}\n`);
    };
    let calls = 0;
    await assert.rejects(
      client.watch(PODS, 'prod', {}, () => {
        calls++;
        throw new Error('handler bug');
      }),
      /handler bug/,
    );
    assert.equal(calls, 1);
  });

  test('fromKubeconfig: server, CA and token of the current context', async () => {
    const path = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
        users: [{ name: 'u', user: { token: TOKEN } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'prod' } }],
        'current-context': 'ctx',
      }),
    );
    handler = (_req, res) => json(res, 200, { metadata: { name: 'web' } });
    const k = HttpClient.fromKubeconfig(path);
    try {
      await k.get(PODS, 'prod', 'web');
      assert.equal(seen[0]!.headers.authorization, `Bearer ${TOKEN}`);
    } finally {
      k.close();
    }
  });

  test('a server whose certificate is not signed by the CA is refused (a transport error, not an ApiError)', async () => {
    const other = new HttpClient({ server: url, token: TOKEN });
    try {
      await assert.rejects(other.get(PODS, 'prod', 'web'), (e: unknown) => {
        assert.ok(e instanceof Error && !isApiError(e));
        assert.match(e.message, /GET \/api\/v1\/namespaces\/prod\/pods\/web: .*(certificate|self.signed)/i);
        return true;
      });
      assert.equal(seen.length, 0);
    } finally {
      other.close();
    }
  });
});

test('errorFromResponse and parseWatchLine read what the wire says', () => {
  const e = errorFromResponse(422, JSON.stringify({ kind: 'Status', code: 422, reason: 'Invalid', message: 'bad', details: { causes: [{ field: 'spec' }] } }));
  assert.deepEqual([e.code, e.reason, e.message, e.details?.causes?.[0]?.field], [422, 'Invalid', 'bad', 'spec']);
  assert.equal(errorFromResponse(503, '').reason, 'ServiceUnavailable');
  assert.throws(() => parseWatchLine('{"type":"ADDED"}'), /expected/);
  assert.throws(() => parseWatchLine('not json'), /expected a JSON event/);
  assert.throws(() => parseWatchLine('{"type":"WEIRD","object":{}}'), /unexpected event type "WEIRD"/);
  const err = parseWatchLine('{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"old"}}');
  assert.ok(isGone(err));
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(cond(), 'condition not met');
}
