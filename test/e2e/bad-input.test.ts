// Bad input gets a clear Kubernetes Status error, never a crash, a hang or stored data.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { kubectl, manifest, startSkiff, type Skiff } from './harness.js';

interface Reply {
  status: number;
  body: { kind?: string; reason?: string; message?: string; code?: number; metadata?: { resourceVersion?: string } };
}

describe('bad input', () => {
  let s: Skiff;
  let call: (method: string, path: string, body?: string | Buffer, contentType?: string) => Promise<Reply>;
  before(async () => {
    s = await startSkiff({ args: ['--storage', 'memory', '--disable-controllers'] });
    const kc = parse(readFileSync(s.kubeconfig, 'utf8')) as { clusters: { cluster: { 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
    const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
    const token = kc.users[0].user.token;
    call = (method, path, body, contentType = 'application/json') =>
      new Promise((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: s.port, path, method, ca, servername: 'localhost', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType } },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply['body'] }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
  });
  after(async () => {
    await s?.destroy();
  });

  const CM = '/api/v1/namespaces/default/configmaps';

  it('malformed JSON and YAML are 400 BadRequest', async () => {
    const r = await call('POST', CM, '{"kind": "ConfigMap", ');
    assert.equal(r.status, 400);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.reason, 'BadRequest');
    const y = await call('POST', CM, 'kind: [unclosed', 'application/yaml');
    assert.equal(y.status, 400);
    const arr = await call('POST', CM, '[1,2]');
    assert.equal(arr.status, 400);
  });

  it('wrong kind or apiVersion for the endpoint is 400; unknown resources are 404', async () => {
    const kind = await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }));
    assert.equal(kind.status, 400);
    assert.match(kind.body.message ?? '', /does not match/);
    const gv = await call('POST', CM, JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
    assert.equal(gv.status, 400);
    const unknown = await call('GET', '/api/v1/namespaces/default/widgets');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.reason, 'NotFound');
    const r = await kubectl(s, ['create', '-f', manifest(s, 'w.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no matches for kind "Widget" in version "example.com\/v1"|could not find the requested resource/);
  });

  it('bodies over 3 MiB are 413', async () => {
    const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    const r = await call('POST', CM, big);
    assert.equal(r.status, 413);
    assert.equal(r.body.reason, 'RequestEntityTooLarge');
  });

  it('a stale resourceVersion is 409 Conflict, an invalid object 422 with the field, and neither is stored', async () => {
    const created = await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'v' }, data: { a: '1' } }));
    assert.equal(created.status, 201);
    const rv = created.body.metadata?.resourceVersion;
    const ok = await call('PUT', `${CM}/v`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'v', resourceVersion: rv }, data: { a: '2' } }));
    assert.equal(ok.status, 200);
    const stale = await call('PUT', `${CM}/v`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'v', resourceVersion: rv }, data: { a: '3' } }));
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    const bad = await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_Valid' } }));
    assert.equal(bad.status, 422);
    assert.match(bad.body.message ?? '', /ConfigMap "Not_Valid" is invalid: metadata\.name: Invalid value: "Not_Valid"/);
    const got = await call('GET', `${CM}/v`);
    assert.equal((got.body as { data?: Record<string, string> }).data?.a, '2');
    assert.equal((await call('GET', `${CM}/Not_Valid`)).status, 404);
  });

  it('dry-run writes validate but store nothing; Strict rejects duplicate fields', async () => {
    const r = await kubectl(s, ['create', 'configmap', 'dry', '--dry-run=server', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await call('GET', `${CM}/dry`)).status, 404);
    const dup = await call('POST', `${CM}?fieldValidation=Strict`, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","name":"e"}}');
    assert.equal(dup.status, 400);
    assert.match(dup.body.message ?? '', /duplicate field "metadata.name"/);
  });

  it('unknown fields are never stored, whatever the fieldValidation level', async () => {
    const c = await call('POST', `${CM}?fieldValidation=Ignore`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'u' }, datax: { a: 'b' } }));
    assert.equal(c.status, 201);
    assert.equal((c.body as Record<string, unknown>).datax, undefined);
    const p = await call('PATCH', `${CM}/u?fieldValidation=Ignore`, JSON.stringify({ datay: { a: 'b' }, data: { k: 'v' } }), 'application/merge-patch+json');
    assert.equal(p.status, 200);
    const got = (await call('GET', `${CM}/u`)).body as Record<string, unknown>;
    assert.equal(got.datay, undefined);
    assert.deepEqual(got.data, { k: 'v' });
    const strict = await call('PATCH', `${CM}/u?fieldValidation=Strict`, JSON.stringify({ dataz: {} }), 'application/merge-patch+json');
    assert.equal(strict.status, 400);
    assert.match(strict.body.message ?? '', /unknown field "dataz"/);
  });

  it('a value its field cannot hold is 400 as Go decoding words it, in every fieldValidation mode, and nothing is stored', async () => {
    // found by hand: a Deployment whose readinessProbe.exec.command held `true` (YAML `[true]`) was
    // stored, and then every typed client (kubectl rollout status) failed to decode it
    const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
    const d = (command: unknown[]) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'typed' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox', readinessProbe: { exec: { command } } }] } },
      },
    });
    for (const mode of ['Ignore', 'Warn', 'Strict']) {
      const r = await call('POST', `${DEPLOY}?fieldValidation=${mode}`, JSON.stringify(d([true])));
      assert.equal(r.status, 400, mode);
      assert.equal(r.body.reason, 'BadRequest');
      assert.equal(
        r.body.message,
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal bool into Go struct field ExecAction.spec.template.spec.containers.readinessProbe.exec.command of type string',
      );
    }
    assert.equal((await call('GET', `${DEPLOY}/typed`)).status, 404, 'not stored');
    const labels = await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 't', labels: { a: 1 } } }));
    assert.equal(labels.status, 400);
    assert.match(labels.body.message ?? '', /cannot unmarshal number into Go struct field ObjectMeta\.metadata\.labels of type string$/);
    // a patch whose result does not fit is refused the same way; the stored object stays as it was
    assert.equal((await call('POST', DEPLOY, JSON.stringify(d(['true'])))).status, 201);
    const p = await call('PATCH', `${DEPLOY}/typed`, JSON.stringify({ spec: { replicas: '3' } }), 'application/merge-patch+json');
    assert.equal(p.status, 400);
    assert.match(p.body.message ?? '', /cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32$/);
    const got = (await call('GET', `${DEPLOY}/typed`)).body as { spec?: { replicas?: unknown } };
    assert.equal(got.spec?.replicas, 1);
  });

  it('a bad label selector or field selector is 400, and the server is still healthy', async () => {
    const r = await call('GET', `${CM}?labelSelector=${encodeURIComponent('a in (b')}`);
    assert.equal(r.status, 400);
    const f = await call('GET', `${CM}?fieldSelector=spec.nope%3Dx`);
    assert.equal(f.status, 400);
    assert.match(f.body.message ?? '', /field label not supported: spec\.nope/);
    assert.equal((await call('GET', '/api/v1/namespaces')).status, 200);
  });
});
