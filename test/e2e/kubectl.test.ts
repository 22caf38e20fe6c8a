// The real kubectl against a real `skiff server` (issue 2's proof): every command a user runs
// against Kubernetes for these resources behaves the same way.
import { strict as assert } from 'node:assert';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectl, manifest, startSkiff, type Skiff } from './harness.js';

const DEPLOYMENT = (image: string, replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 8080
`;

describe('kubectl against skiff server', () => {
  let s: Skiff;
  before(async () => {
    s = await startSkiff();
  });
  after(async () => {
    await s?.destroy();
  });

  const k = (...args: string[]) => kubectl(s, args);
  const ok = async (...args: string[]) => {
    const r = await kubectl(s, args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };

  it('lists the system namespaces', async () => {
    const out = await ok('get', 'namespaces');
    assert.match(out, /^NAME\s+STATUS\s+AGE/m);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`^${ns}\\s+Active`, 'm'));
  });

  it('api-resources lists short names and groups', async () => {
    const out = await ok('api-resources');
    assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod/m);
    assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    assert.match(out, /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob/m);
    assert.match(out, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease/m);
  });

  it('create -f, then get in every output format', async () => {
    const f = manifest(s, 'cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\n  labels: {tier: a}\ndata:\n  k: v\n');
    assert.match(await ok('create', '-f', f), /configmap\/c1 created/);
    assert.match(await ok('get', 'cm', 'c1'), /^c1\s+1\s+\d+s/m);
    const y = await ok('get', 'cm', 'c1', '-o', 'yaml');
    assert.match(y, /resourceVersion: "\d+"/);
    assert.match(y, /uid: [0-9a-f-]{36}/);
    const j = JSON.parse(await ok('get', 'cm', 'c1', '-o', 'json')) as { data: Record<string, string> };
    assert.deepEqual(j.data, { k: 'v' });
    assert.equal(await ok('get', 'cm', 'c1', '-o', 'jsonpath={.data.k}'), 'v');
    assert.equal((await ok('get', 'cm', 'c1', '-o', 'name')).trim(), 'configmap/c1');
    const again = await k('create', '-f', f);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Error from server \(AlreadyExists\).*configmaps "c1" already exists/);
  });

  it('get of a missing object prints NotFound as Kubernetes does', async () => {
    const r = await k('get', 'deployment', 'nope');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(NotFound\): deployments\.apps "nope" not found/);
  });

  it('apply: created, unchanged, configured; server-side apply', async () => {
    const f = manifest(s, 'deploy.yaml', DEPLOYMENT('busybox:1.36'));
    assert.match(await ok('apply', '-f', f), /deployment\.apps\/web created/);
    assert.match(await ok('apply', '-f', f), /deployment\.apps\/web unchanged/);
    writeFileSync(f, DEPLOYMENT('busybox:1.37', 3));
    assert.match(await ok('apply', '-f', f), /deployment\.apps\/web configured/);
    const d = JSON.parse(await ok('get', 'deploy', 'web', '-o', 'json')) as { spec: { replicas: number; strategy: { type: string } }; metadata: { generation: number } };
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.equal(d.metadata.generation, 2);
    const ss = manifest(s, 'ssa.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n');
    assert.match(await ok('apply', '--server-side', '-f', ss), /configmap\/ssa serverside-applied/);
    const cm = JSON.parse(await ok('get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields')) as { metadata: { managedFields: { manager: string; operation: string }[] } };
    assert.ok(cm.metadata.managedFields.some((m) => m.manager === 'kubectl' && m.operation === 'Apply'));
  });

  it('rejects unknown fields with --validate (the default) and invalid objects with 422', async () => {
    const bad = manifest(s, 'bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndatax:\n  a: b\n');
    const r = await k('create', '-f', bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown field "datax"/);
    const sel = manifest(s, 'badsel.yaml', DEPLOYMENT('busybox').replace('matchLabels: {app: web}', 'matchLabels: {app: other}').replace('name: web\n  labels', 'name: badsel\n  labels'));
    const r2 = await k('create', '-f', sel);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /The Deployment "badsel" is invalid: spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
    assert.notEqual((await k('get', 'cm', 'bad')).code, 0, 'nothing is stored on a rejected create');
  });

  it('label, annotate, -l and --field-selector, -A', async () => {
    await ok('create', 'configmap', 'c2', '--from-literal=x=y');
    assert.match(await ok('label', 'cm', 'c2', 'tier=b'), /configmap\/c2 labeled/);
    assert.match(await ok('annotate', 'cm', 'c2', 'note=hello'), /configmap\/c2 annotated/);
    const byLabel = await ok('get', 'cm', '-l', 'tier=b', '-o', 'name');
    assert.equal(byLabel.trim(), 'configmap/c2');
    const notIn = await ok('get', 'cm', '-l', 'tier notin (b),tier', '-o', 'name');
    assert.equal(notIn.trim(), 'configmap/c1');
    assert.equal((await ok('get', 'cm', '--field-selector', 'metadata.name=c2', '-o', 'name')).trim(), 'configmap/c2');
    const all = await ok('get', 'namespaces', '-A', '-o', 'name');
    assert.match(all, /namespace\/kube-system/);
    assert.match(await ok('get', 'svc', '-A'), /^default\s+kubernetes\s+ClusterIP\s+198\.18\.128\.1\s+<none>\s+443\/TCP/m);
  });

  it('patch with all three types, scale, and describe', async () => {
    assert.match(await ok('patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"busybox:1.38"}]}}}}'), /patched/);
    assert.match(await ok('patch', 'deploy', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"m":"1"}}}'), /patched/);
    assert.match(await ok('patch', 'deploy', 'web', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/minReadySeconds","value":2}]'), /patched/);
    const d = JSON.parse(await ok('get', 'deploy', 'web', '-o', 'json')) as { spec: { minReadySeconds: number; template: { spec: { containers: { image: string; ports: unknown[] }[] } } }; metadata: { labels: Record<string, string> } };
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox:1.38');
    assert.equal(d.spec.template.spec.containers[0].ports.length, 1, 'strategic merge keeps the container ports');
    assert.equal(d.metadata.labels.m, '1');
    assert.equal(d.spec.minReadySeconds, 2);
    assert.match(await ok('scale', 'deploy', 'web', '--replicas=5'), /deployment\.apps\/web scaled/);
    assert.equal(await ok('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'), '5');
    const desc = await ok('describe', 'deploy', 'web');
    assert.match(desc, /Name:\s+web/);
    assert.match(desc, /Replicas:\s+5 desired/);
  });

  it('replace and edit', async () => {
    const cur = await ok('get', 'cm', 'c1', '-o', 'yaml');
    const f = manifest(s, 'c1.yaml', cur.replace('k: v', 'k: replaced'));
    assert.match(await ok('replace', '-f', f), /configmap\/c1 replaced/);
    assert.equal(await ok('get', 'cm', 'c1', '-o', 'jsonpath={.data.k}'), 'replaced');
    const stale = await k('replace', '-f', f);
    assert.notEqual(stale.code, 0);
    assert.match(stale.stderr, /Operation cannot be fulfilled on configmaps "c1": the object has been modified/);
    const editor = join(s.dataDir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/k: replaced/k: edited/" "$1"\n');
    chmodSync(editor, 0o755);
    const r = await kubectl(s, ['edit', 'cm', 'c1'], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap\/c1 edited/);
    assert.equal(await ok('get', 'cm', 'c1', '-o', 'jsonpath={.data.k}'), 'edited');
  });

  it('get --chunk-size pages through a long list', async () => {
    for (let i = 0; i < 12; i++) await ok('create', 'configmap', `page-${String(i).padStart(2, '0')}`);
    const out = await ok('get', 'cm', '--chunk-size=5', '-o', 'name', '-l', '!tier');
    const names = out.trim().split('\n').filter((n) => n.startsWith('configmap/page-'));
    assert.equal(names.length, 12);
    const raw = JSON.parse(await ok('get', '--raw', '/api/v1/namespaces/default/configmaps?limit=5')) as { metadata: { continue?: string; remainingItemCount?: number }; items: unknown[] };
    assert.equal(raw.items.length, 5);
    assert.ok(raw.metadata.continue);
  });

  it('get -w streams changes', async () => {
    const watch = kubectl(s, ['get', 'cm', '-l', 'watched=yes', '-w', '--request-timeout=3s', '-o', 'name'], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 700));
    await ok('create', '-f', manifest(s, 'w1.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w1\n  labels: {watched: "yes"}\n'));
    await new Promise((r) => setTimeout(r, 300));
    await ok('label', 'cm', 'w1', 'more=yes');
    const r = await watch;
    assert.match(r.stdout, /configmap\/w1/);
  });

  it('auth can-i, can-i --list and whoami (self reviews, answered and never stored)', async () => {
    const can = await kubectl(s, ['auth', 'can-i', 'create', 'pods']);
    assert.equal(can.code, 0, can.stderr);
    assert.equal(can.stdout.trim(), 'yes');
    const list = await kubectl(s, ['auth', 'can-i', '--list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    const me = await kubectl(s, ['auth', 'whoami']);
    assert.equal(me.code, 0, me.stderr);
    assert.match(me.stdout, /Username\s+admin/);
    assert.match(me.stdout, /Groups\s+\[system:masters system:authenticated\]/);
    const get = await kubectl(s, ['get', 'selfsubjectaccessreviews']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /MethodNotAllowed/);
    const explain = await kubectl(s, ['explain', 'selfsubjectaccessreview.spec']);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /resourceAttributes/);
  });

  it('explain, get --raw, and the health endpoints', async () => {
    const ex = await ok('explain', 'deployment.spec.replicas');
    assert.match(ex, /FIELD:\s+replicas/);
    assert.match(ex, /integer/);
    assert.equal((await ok('get', '--raw', '/healthz')).trim(), 'ok');
    assert.equal((await ok('get', '--raw', '/readyz')).trim(), 'ok');
    assert.match(await ok('get', '--raw', '/metrics'), /apiserver_request_total\{verb="get",resource="configmaps",code="200"\}/);
    const v = JSON.parse(await ok('get', '--raw', '/version')) as { major: string };
    assert.equal(v.major, '1');
  });

  it('delete by name, -f, -l and --all', async () => {
    assert.match(await ok('delete', 'cm', 'c2'), /configmap "c2" deleted/);
    const f = manifest(s, 'del.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: del\n');
    await ok('create', '-f', f);
    assert.match(await ok('delete', '-f', f), /configmap "del" deleted/);
    await ok('label', 'cm', 'page-00', 'batch=x');
    await ok('label', 'cm', 'page-01', 'batch=x');
    assert.match(await ok('delete', 'cm', '-l', 'batch=x'), /configmap "page-00" deleted/);
    await ok('delete', 'cm', '--all');
    const left = await ok('get', 'cm', '-o', 'name');
    assert.equal(left.trim(), '');
    const r = await k('delete', 'cm', 'c2');
    assert.match(r.stderr, /Error from server \(NotFound\): configmaps "c2" not found/);
  });

  it('rejects objects in a missing namespace', async () => {
    const r = await k('create', 'configmap', 'x', '-n', 'does-not-exist');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "does-not-exist" not found/);
  });
});
