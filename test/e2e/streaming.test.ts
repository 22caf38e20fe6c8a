// Streaming end to end with the REAL kubectl: kubectl → skiff server (pods/log, exec, attach,
// portforward proxied over verified TLS) → KubeletServer → a runtime whose containers are real host
// processes (host-process-runtime.ts). Checks what users see: output, exit codes, errors.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKubeletClientMaterial, ensureKubeletServingMaterial } from '../../src/apiserver/pki.js';
import { KubeletServer } from '../../src/kubelet/server/kubelet-server.js';
import { kubectl, manifest, startSkiff, type Skiff } from './harness.js';
import { HostProcessRuntime } from './host-process-runtime.js';

const NODE = 'stream-node';

describe('kubectl logs, exec, attach, port-forward and cp through skiff', () => {
  let s: Skiff;
  let kubelet: KubeletServer;
  let kubeletPort = 0;
  let runtime: HostProcessRuntime;
  let appId = '';
  let web: Server;
  let webPort = 0;
  let work = '';
  const children = new Set<ChildProcess>();

  const k = (args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}) => kubectl(s, args, opts);
  const ok = async (...args: string[]) => {
    const r = await k(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  /** A long-running kubectl; `waitFor` resolves once its stdout matches. */
  const background = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn('kubectl', ['--kubeconfig', s.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const waitFor = async (re: RegExp, ms = 10_000): Promise<RegExpExecArray> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`kubectl ${args.join(' ')}: no ${re} in output:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, waitFor, exited, out: () => out, err: () => err };
  };

  before(async () => {
    s = await startSkiff({ args: ['--disable-controllers'] });
    work = mkdtempSync(join(tmpdir(), 'skiff-streaming-'));
    const tls = await ensureKubeletServingMaterial(join(s.dataDir, 'server', 'tls'), NODE, ['127.0.0.1'], join(s.dataDir, 'agent'));
    runtime = new HostProcessRuntime({ namespace: 'default', name: 'box', uid: 'uid-box' });
    runtime.addContainer('app', 0, 'exited');
    appId = runtime.addContainer('app', 1, 'running');
    runtime.appendLog('app-0', 'previous attempt said goodbye');
    // lines 1-3 an hour ago, 4-5 just now (for --since)
    for (let i = 1; i <= 5; i++) runtime.appendLog(appId, `line ${i}`, Date.now() - (i <= 3 ? 3600_000 : 1000) + i);
    runtime.startMain();
    kubelet = new KubeletServer({ runtime, tls, port: 0, host: '127.0.0.1' });
    kubeletPort = await kubelet.start();
    web = createServer((req, res) => res.end(`hello through port-forward ${req.url}`));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as { port: number }).port;

    await ok('apply', '-f', manifest(s, 'node.yaml', `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${NODE}\n`));
    await ok(
      'patch', 'node', NODE, '--subresource=status', '--type=merge', '-p',
      JSON.stringify({ status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE }], daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } } }),
    );
    const pod = (name: string, containers: string[]) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  nodeName: ${NODE}\n  containers:\n` +
      containers.map((c) => `  - name: ${c}\n    image: busybox\n    stdin: true\n`).join('');
    await ok('apply', '-f', manifest(s, 'box.yaml', pod('box', ['app']).replace('  name: box\n', '  name: box\n  labels: {app: box}\n')));
    await ok('apply', '-f', manifest(s, 'deploy.yaml', `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: boxes\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: box}\n  template:\n    metadata:\n      labels: {app: box}\n    spec:\n      containers:\n      - name: app\n        image: busybox\n`));
    await ok('apply', '-f', manifest(s, 'duo.yaml', pod('duo', ['a', 'b'])));
    for (const name of ['box', 'duo']) {
      await ok('patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running' } }));
    }
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await kubelet?.stop();
    runtime?.stopAll();
    web?.close();
    await s?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('kubectl logs, --tail, --timestamps, --previous, --since', async () => {
    assert.equal(await ok('logs', 'box'), 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.equal(await ok('logs', 'box', '--tail=2'), 'line 4\nline 5\n');
    assert.match(await ok('logs', 'box', '--tail=1', '--timestamps'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 5\n$/);
    assert.equal(await ok('logs', 'box', '--previous'), 'previous attempt said goodbye\n');
    assert.equal(await ok('logs', 'box', '-c', 'app', '--since=10m'), 'line 4\nline 5\n');
    assert.equal(await ok('logs', 'box', '--limit-bytes=8'), 'line 1\nl');
    assert.equal(await ok('logs', 'deploy/boxes', '--tail=1'), 'line 5\n');
  });

  it('kubectl logs -f streams lines as they are written', async () => {
    const f = background(['logs', '-f', 'box', '--tail=1']);
    await f.waitFor(/line 5\n/);
    runtime.appendLog(appId, 'streamed 1');
    await f.waitFor(/streamed 1\n/);
    runtime.appendLog(appId, 'streamed 2');
    await f.waitFor(/streamed 2\n/);
    assert.equal(f.child.exitCode, null, 'logs -f keeps running');
    f.child.kill('SIGINT');
    await f.exited;
  });

  it('kubectl logs errors are Kubernetes-style', async () => {
    let r = await k(['logs', 'nope']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\(NotFound\): pods "nope" not found/);
    // kubectl checks container names itself; the API server does too (as Kubernetes)
    r = await k(['get', '--raw', '/api/v1/namespaces/default/pods/box/log?container=zzz']);
    assert.match(r.stderr, /Error from server \(BadRequest\): container zzz is not valid for pod box/);
    r = await k(['get', '--raw', '/api/v1/namespaces/default/pods/duo/log']);
    assert.match(r.stderr, /Error from server \(BadRequest\): a container name must be specified for pod duo, choose one of: \[a b\]/);
    r = await k(['get', '--raw', '/api/v1/namespaces/default/pods/box/exec?command=true&stdout=1']);
    assert.match(r.stderr, /Upgrade request required/);
    r = await k(['logs', 'duo', '-c', 'a']);
    assert.match(r.stderr, /Error from server \(BadRequest\): container "a" in pod "duo" is waiting to start: ContainerCreating/);
    r = await k(['logs', 'duo', '-c', 'a', '--previous']);
    assert.match(r.stderr, /previous terminated container "a" in pod "duo" not found/);
  });

  it('kubectl exec runs the command and propagates exit codes', async () => {
    assert.equal(await ok('exec', 'box', '--', 'echo', 'hi'), 'hi\n');
    const r = await k(['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /err\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
  });

  it('kubectl exec -i passes stdin through and the process sees EOF', async () => {
    const r = await k(['exec', '-i', 'box', '--', 'sh', '-c', 'wc -l; cat'], { input: 'a\nb\nc\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '3');
  });

  it('kubectl exec -it gets a terminal (through script, which gives kubectl one)', async () => {
    const cmd = `stty cols 91 rows 33; kubectl --kubeconfig ${s.kubeconfig} exec -it box -- sh -c 'tty >/dev/null && echo IS-A-TTY; exit 4'; echo "rc=$?"`;
    const out = await new Promise<string>((resolve) => {
      const c = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(c);
      let o = '';
      c.stdout!.on('data', (d: Buffer) => (o += d.toString()));
      c.on('exit', () => resolve(o));
    });
    assert.match(out, /IS-A-TTY/);
    assert.match(out, /rc=4/);
    // kubectl sent its terminal size on the resize channel
    assert.ok(runtime.resizes.some((r) => r.width === 91 && r.height === 33), JSON.stringify(runtime.resizes));
    // without a terminal kubectl refuses -t with its usual notice and runs without one
    const r = await k(['exec', '-it', 'box', '--', 'sh', '-c', 'tty || echo no-tty'], { input: '' });
    assert.match(r.stdout, /no-tty/);
    assert.match(r.stderr, /Unable to use a TTY/);
  });

  it('kubectl exec errors: missing pod, missing container, multi-container pod without -c', async () => {
    let r = await k(['exec', 'nope', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "nope" not found/);
    r = await k(['exec', 'box', '-c', 'zzz', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container zzz is not valid for pod box|container zzz not found in pod box/);
    r = await k(['exec', 'duo', '-c', 'b', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container not found \("b"\)/);
  });

  it('kubectl attach -i talks to the container process', async () => {
    const r = await k(['attach', '-i', 'box', '-c', 'app'], { input: 'hello\nquit\n', timeoutMs: 15_000 });
    assert.match(r.stdout, /got hello/);
    assert.equal(r.code, 0, r.stderr);
  });

  it('kubectl port-forward forwards a local port to the pod', async () => {
    const pf = background(['port-forward', 'pod/box', `:${webPort}`]);
    const m = await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) ->/);
    const local = Number(m[1]);
    for (const path of ['/one', '/two']) {
      const body = await new Promise<string>((resolve, reject) => {
        get({ host: '127.0.0.1', port: local, path, agent: false }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      assert.equal(body, `hello through port-forward ${path}`);
    }
    pf.child.kill('SIGINT');
    await pf.exited;
  });

  it('over WebSocket first: exec speaks v5.channel.k8s.io, port-forward tunnels SPDY in a WebSocket', async () => {
    const r = await k(['exec', 'box', '-v=7', '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /101 Switching Protocols/);
    assert.doesNotMatch(r.stderr, /falling back to SPDY|fallback/i);
    const pf = background(['port-forward', 'pod/box', `:${webPort}`, '-v=7']);
    await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) ->/);
    pf.child.kill('SIGINT');
    await pf.exited;
    assert.doesNotMatch(pf.err(), /falling back|fallback/i);
  });

  it('plain SPDY (kubectl with WebSockets disabled): exec, stdin, exit codes, port-forward, cp', async () => {
    const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };
    let r = await k(['exec', 'box', '--', 'sh', '-c', 'echo spdy-out; echo spdy-err >&2; exit 5'], { env });
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.stdout, 'spdy-out\n');
    assert.match(r.stderr, /spdy-err/);
    r = await k(['exec', '-i', 'box', '--', 'wc', '-c'], { input: 'x'.repeat(200_000), env });
    assert.equal(r.stdout.trim(), '200000', r.stderr);
    r = await k(['exec', 'duo', '-c', 'b', '--', 'true'], { env });
    assert.match(r.stderr, /container not found \("b"\)/);
    const pf = background(['port-forward', 'pod/box', `:${webPort}`], env);
    const m = await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) ->/);
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port: Number(m[1]), path: '/spdy', agent: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    assert.equal(body, 'hello through port-forward /spdy');
    pf.child.kill('SIGINT');
    await pf.exited;
    const src = join(work, 'spdy-upload.txt');
    writeFileSync(src, 'via spdy\n');
    const dest = join(work, 'spdy-in-pod');
    mkdirSync(dest);
    r = await k(['cp', src, `box:${dest}/f.txt`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dest, 'f.txt'), 'utf8'), 'via spdy\n');
  });

  it('a kubectl killed mid-exec ends the exec\'d process (WebSocket and SPDY)', async () => {
    for (const env of [{}, { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }] as Record<string, string>[]) {
      const x = background(['exec', 'box', '--', 'sh', '-c', 'echo started; exec sleep 30'], env);
      await x.waitFor(/started/);
      assert.equal(runtime.running.size, 1);
      x.child.kill('SIGKILL');
      await x.exited;
      const deadline = Date.now() + 5000;
      while (runtime.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(runtime.running.size, 0, 'the exec\'d sleep was killed');
    }
    assert.equal(await ok('exec', 'box', '--', 'echo', 'still serving'), 'still serving\n');
  });

  it('an unreachable kubelet is an error from the API server, for logs and exec', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await ok('apply', '-f', manifest(s, 'dead-node.yaml', 'apiVersion: v1\nkind: Node\nmetadata:\n  name: dead-node\n'));
    await ok('patch', 'node', 'dead-node', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: deadPort } } } }));
    await ok('apply', '-f', manifest(s, 'lost.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: lost\nspec:\n  nodeName: dead-node\n  containers:\n  - name: app\n    image: busybox\n'));
    await ok('patch', 'pod', 'lost', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running' } }));
    let r = await k(['logs', 'lost']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(InternalError\): error dialing backend: .*ECONNREFUSED/);
    r = await k(['exec', 'lost', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /error dialing backend: .*ECONNREFUSED/);
    await ok('delete', 'pod', 'lost', '--grace-period=0', '--force', '--wait=false');
  });

  it('kubectl cp copies files into and out of the pod', async () => {
    const src = join(work, 'upload.txt');
    writeFileSync(src, 'uploaded content\n');
    const dest = join(work, 'in-pod');
    mkdirSync(dest);
    await ok('cp', src, `box:${dest}/copied.txt`);
    assert.equal(readFileSync(join(dest, 'copied.txt'), 'utf8'), 'uploaded content\n');
    const back = join(work, 'downloaded.txt');
    await ok('cp', `box:${dest}/copied.txt`, back);
    assert.equal(readFileSync(back, 'utf8'), 'uploaded content\n');
  });

  it('the kubelet serves only clients with a certificate signed by the cluster CA', async () => {
    const tlsDir = join(s.dataDir, 'server', 'tls');
    const client = await ensureKubeletClientMaterial(tlsDir);
    const call = (opts: { key?: string; cert?: string }) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: kubeletPort, path: '/containerLogs/default/box/app', ca: client.ca, ...opts, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal(await call({ key: client.key, cert: client.cert }), 200);
    assert.equal(await call({}), 401);
  });
});
