// The node's probers against real local servers (HTTP, HTTPS with a throw-away self-signed
// certificate, TCP) and exec through a runtime test double that runs the command as a child process.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttp2Server } from 'node:http2';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { ExecOptions, Runtime } from '../../runtime/runtime.js';
import { NodeProber } from './node-prober.js';
import { PROBE_USER_AGENT } from './probe-actions.js';

/** Runs exec'd commands as local child processes (the container is this machine); aborting kills them. */
function childProcessExec(): Pick<Runtime, 'exec'> & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    exec(id: string, command: readonly string[], opts: ExecOptions = {}): Promise<number> {
      calls.push(`${id}: ${command.join(' ')}`);
      return new Promise((resolve, reject) => {
        const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (d: Buffer) => opts.stdout?.write(d));
        child.stderr.on('data', (d: Buffer) => opts.stderr?.write(d));
        const onAbort = () => child.kill('SIGKILL');
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        child.on('error', reject);
        child.on('close', (code, signal) => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve(code ?? (signal ? 137 : 1));
        });
      });
    },
  };
}

const pod: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [] } };

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function probeWith(prober: NodeProber, probe: Probe, container: Container = { name: 'app' }, timeoutMs = 2_000) {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), timeoutMs);
  return prober.probe('liveness', probe, { pod, container, containerId: 'c1', podIP: '127.0.0.1' }, ac.signal).finally(() => clearTimeout(t));
}

test('httpGet: 200–399 succeed, others fail with the status code; path, headers, named port; refused and timeout', async (t) => {
  let seen: { url?: string; headers?: IncomingHttpHeaders } = {};
  const server = createHttpServer((req, res) => {
    seen = { url: req.url, headers: req.headers };
    if (req.url === '/slow') return; // never answers
    const code = Number(req.url?.slice(1).split('?')[0]) || 200;
    res.writeHead(code, code === 302 ? { Location: '/elsewhere' } : {}).end('body');
  });
  const port = await listen(server);
  t.after(() => (server.closeAllConnections(), new Promise<void>((r) => server.close(() => r()))));
  const prober = new NodeProber(childProcessExec() as unknown as Runtime);
  assert.deepEqual(await probeWith(prober, { httpGet: { port, path: '/200', httpHeaders: [{ name: 'X-Probe', value: 'yes' }, { name: 'User-Agent', value: 'custom' }] } }), { result: 'success', output: 'body' });
  assert.equal(seen.url, '/200');
  assert.equal(seen.headers?.['x-probe'], 'yes');
  assert.equal(seen.headers?.['user-agent'], 'custom');
  await probeWith(prober, { httpGet: { port, path: '/204' } });
  assert.equal(seen.headers?.['user-agent'], PROBE_USER_AGENT);
  assert.equal((await probeWith(prober, { httpGet: { port, path: '/302' } })).result, 'success');
  assert.deepEqual(await probeWith(prober, { httpGet: { port, path: '/500' } }), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
  assert.deepEqual(await probeWith(prober, { httpGet: { port, path: '/404' } }), { result: 'failure', output: 'HTTP probe failed with statuscode: 404' });
  const named: Container = { name: 'app', ports: [{ name: 'http', containerPort: port }] };
  assert.equal((await probeWith(prober, { httpGet: { port: 'http', path: '/' } }, named)).result, 'success');
  assert.deepEqual(await probeWith(prober, { httpGet: { port: 'nope' } }, named), { result: 'failure', output: "couldn't find port: nope in app" });
  const slow = await probeWith(prober, { httpGet: { port, path: '/slow' } }, undefined, 300);
  assert.equal(slow.result, 'failure');
  assert.match(slow.output, /context deadline exceeded/);
  const closed = await closedPort();
  assert.deepEqual(await probeWith(prober, { httpGet: { port: closed, path: '/' } }), { result: 'failure', output: `Get "http://127.0.0.1:${closed}/": dial tcp 127.0.0.1:${closed}: connect: connection refused` });
});

test('httpGet scheme HTTPS: self-signed certificate accepted', { skip: !hasOpenssl() ? 'needs openssl' : false }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-probe-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=probe-test'], { stdio: 'ignore' });
  const server = createHttpsServer({ key: await readFile(join(dir, 'k.pem')), cert: await readFile(join(dir, 'c.pem')) }, (_req, res) => res.writeHead(200).end('tls'));
  const port = await listen(server);
  t.after(() => (server.closeAllConnections(), new Promise<void>((r) => server.close(() => r()))));
  assert.deepEqual(await probeWith(new NodeProber(childProcessExec() as unknown as Runtime), { httpGet: { port, scheme: 'HTTPS', path: '/' } }), { result: 'success', output: 'tls' });
});

test('tcpSocket: connect succeeds; refused fails with the dial error', async (t) => {
  const server = createTcpServer((s) => s.end());
  const port = await listen(server);
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const prober = new NodeProber(childProcessExec() as unknown as Runtime);
  assert.deepEqual(await probeWith(prober, { tcpSocket: { port } }), { result: 'success', output: '' });
  const closed = await closedPort();
  assert.deepEqual(await probeWith(prober, { tcpSocket: { port: closed } }), { result: 'failure', output: `dial tcp 127.0.0.1:${closed}: connect: connection refused` });
});

test('exec: exit 0 succeeds, other exit codes fail with the output, timeoutSeconds kills the command', async () => {
  const rt = childProcessExec();
  const prober = new NodeProber(rt as unknown as Runtime);
  assert.deepEqual(await probeWith(prober, { exec: { command: ['sh', '-c', 'echo fine'] } }), { result: 'success', output: 'fine' });
  assert.deepEqual(await probeWith(prober, { exec: { command: ['sh', '-c', 'echo broken >&2; exit 3'] } }), { result: 'failure', output: 'broken' });
  const started = Date.now();
  assert.deepEqual(await probeWith(prober, { exec: { command: ['sleep', '5'] } }, undefined, 200), { result: 'failure', output: 'command "sleep 5" timed out' });
  assert.ok(Date.now() - started < 2_000);
  assert.deepEqual(rt.calls, ['c1: sh -c echo fine', 'c1: sh -c echo broken >&2; exit 3', 'c1: sleep 5']);
  assert.deepEqual(await probeWith(new NodeProber({} as Runtime), { exec: { command: ['true'] } }), { result: 'failure', output: 'the container runtime does not support exec' });
});

test('grpc: grpc.health.v1 Check over HTTP/2; SERVING succeeds, other statuses and errors fail', async (t) => {
  // A real HTTP/2 server answering the health service as grpc-go's does (length-prefixed protobuf, grpc-status trailer).
  const services: Record<string, number> = { '': 1, sick: 2 };
  const seen: string[] = [];
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks).subarray(5);
      const service = body.length ? body.subarray(2).toString() : '';
      if (service === 'hang') return; // never answers
      seen.push(`${headers[':path']} ${headers['content-type']} service=${service}`);
      const status = services[service];
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(status === undefined ? { 'grpc-status': '5', 'grpc-message': 'unknown service' } : { 'grpc-status': '0' }));
      if (status === undefined) return stream.end();
      const msg = Buffer.from([0x08, status]);
      const frame = Buffer.alloc(5);
      frame.writeUInt32BE(msg.length, 1);
      stream.end(Buffer.concat([frame, msg]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const prober = new NodeProber({} as Runtime);
  assert.deepEqual(await probeWith(prober, { grpc: { port } }), { result: 'success', output: '' });
  assert.deepEqual(await probeWith(prober, { grpc: { port, service: 'sick' } }), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
  assert.deepEqual(await probeWith(prober, { grpc: { port, service: 'other' } }), { result: 'failure', output: 'error: health rpc probe failed: rpc error: code = 5 desc = unknown service' });
  assert.deepEqual(seen, ['/grpc.health.v1.Health/Check application/grpc service=', '/grpc.health.v1.Health/Check application/grpc service=sick', '/grpc.health.v1.Health/Check application/grpc service=other']);
  assert.deepEqual(await probeWith(prober, { grpc: { port, service: 'hang' }, timeoutSeconds: 1 }, undefined, 300), { result: 'failure', output: 'timeout: health rpc did not complete within 1s' });
  const closed = await closedPort();
  const r = await probeWith(prober, { grpc: { port: closed } });
  assert.equal(r.result, 'failure');
  assert.equal(r.output, `error: failed to connect service at "127.0.0.1:${closed}": connect ECONNREFUSED 127.0.0.1:${closed}`);
});

/** A loopback port nothing listens on (just freed). */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
