import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect, createServer as createTcpServer } from 'node:net';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, type ExecOptions, type Runtime } from '../../runtime/runtime.js';
import { KubeletServer } from './kubelet-server.js';
import { SpdySession, type SpdyStream } from './spdy/session.js';

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
})();

/** A CA, a serving cert for 127.0.0.1, a client cert, and a client cert of another CA (openssl). */
function makePKI(dir: string) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`, '-days', '2');
  const leaf = (name: string, caName: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  ca('ca');
  ca('other-ca');
  leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    server: { key: r('server.key'), cert: r('server.crt'), ca: r('ca.crt') },
    client: { key: r('client.key'), cert: r('client.crt'), ca: r('ca.crt') },
    stranger: { key: r('stranger.key'), cert: r('stranger.crt'), ca: r('ca.crt') },
  };
}

/** A runtime with one running container ns/p/c whose exec understands: cat, exit N, size, fail. */
function fakeRuntime(resizes: string[]): Runtime {
  const labels = { [LABEL_POD_NAMESPACE]: 'ns', [LABEL_POD_NAME]: 'p' };
  const rt: Partial<Runtime> = {
    listPodSandboxes: async () => [{ id: 'sb', metadata: { name: 'p', namespace: 'ns', uid: 'u', attempt: 0 }, state: 'ready', createdAt: 1, hostNetwork: false, labels, annotations: {} }],
    listContainers: async () => [
      { id: 'c1', sandboxId: 'sb', podUid: 'u', metadata: { name: 'c', attempt: 0 }, state: 'running', createdAt: 1, image: 'i', imageRef: 'sha256:1', labels: { ...labels, [LABEL_CONTAINER_NAME]: 'c' }, annotations: {} },
    ],
    exec: async (_id: string, cmd: readonly string[], o: ExecOptions = {}) => {
      if (cmd[0] === 'cat') {
        o.stdin!.on('data', (d: Buffer) => o.stdout!.write(d));
        await once(o.stdin as NodeJS.ReadableStream & NodeJS.EventEmitter, 'end');
        o.stdout!.write('<eof>');
        return 0;
      }
      if (cmd[0] === 'exit') {
        o.stderr?.write('bye');
        return Number(cmd[1]);
      }
      if (cmd[0] === 'size') {
        const size = await new Promise<string>((r) => o.onResize!((s) => r(`${s.width}x${s.height}`)));
        resizes.push(size);
        o.stdout!.write(size);
        return 0;
      }
      throw new Error('no such command');
    },
    portForward: async (_sb: string, port: number, stream: NodeJS.ReadWriteStream) => {
      const sock = netConnect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', reject);
      });
      stream.pipe(sock);
      sock.pipe(stream as NodeJS.WritableStream);
      await new Promise<void>((r) => sock.on('close', () => r()));
    },
  };
  return rt as Runtime;
}

describe('KubeletServer', { skip: haveOpenssl ? false : 'needs openssl' }, () => {
  let dir = '';
  let pki: ReturnType<typeof makePKI>;
  let server: KubeletServer;
  let port = 0;
  const resizes: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-server-'));
    pki = makePKI(dir);
    server = new KubeletServer({ runtime: fakeRuntime(resizes), tls: pki.server, port: 0, host: '127.0.0.1' });
    port = await server.start();
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a channel WebSocket, sends `send` (after open), collects [channel, text] until close. */
  async function wsSession(path: string, protocol: string, send: (ws: WebSocket) => void): Promise<{ messages: [number, string][]; protocol: string }> {
    const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, [protocol], { ...pki.client, perMessageDeflate: false });
    const messages: [number, string][] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) messages.push([data[0], data.subarray(1).toString('latin1')]);
      else {
        const t = data.toString();
        messages.push([t.charCodeAt(0) - 48, Buffer.from(t.slice(1), 'base64').toString()]);
      }
    });
    await once(ws, 'open');
    send(ws);
    await once(ws, 'close');
    return { messages, protocol: ws.protocol };
  }
  const text = (ms: [number, string][], ch: number) => ms.filter(([c]) => c === ch).map(([, t]) => t).join('');

  it('v5: stdin reaches the process, the CLOSE signal is its EOF, Success on channel 3', async () => {
    const { messages, protocol } = await wsSession('/exec/ns/p/c?command=cat&stdin=1&stdout=1', 'v5.channel.k8s.io', (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('hello ')]));
      ws.send(Buffer.from([0, ...Buffer.from('world')]));
      ws.send(Buffer.from([255, 0]));
    });
    assert.equal(protocol, 'v5.channel.k8s.io');
    assert.equal(text(messages, 1), 'hello world<eof>');
    assert.equal(JSON.parse(text(messages, 3)).status, 'Success');
  });

  it('v4: a non-zero exit is a NonZeroExitCode Status with the code as ExitCode cause; stderr on channel 2', async () => {
    const { messages } = await wsSession('/exec/ns/p/c?command=exit&command=3&stdout=1&stderr=1', 'v4.channel.k8s.io', () => undefined);
    assert.equal(text(messages, 2), 'bye');
    const st = JSON.parse(text(messages, 3));
    assert.equal(st.status, 'Failure');
    assert.equal(st.reason, 'NonZeroExitCode');
    assert.deepEqual(st.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    assert.match(st.message, /^command terminated with non-zero exit code: /);
  });

  it('v1 (channel.k8s.io) reports failures as plain text; base64 protocols use text messages', async () => {
    let r = await wsSession('/exec/ns/p/c?command=exit&command=2&stdout=1', 'channel.k8s.io', () => undefined);
    assert.match(text(r.messages, 3), /^command terminated with non-zero exit code/);
    r = await wsSession('/exec/ns/p/c?command=exit&command=0&stdout=1&stderr=1', 'v4.base64.channel.k8s.io', () => undefined);
    assert.equal(r.protocol, 'v4.base64.channel.k8s.io');
    assert.equal(text(r.messages, 2), 'bye');
    assert.equal(JSON.parse(text(r.messages, 3)).status, 'Success');
  });

  it('terminal resizes arrive on channel 4', async () => {
    const { messages } = await wsSession('/exec/ns/p/c?command=size&stdout=1&tty=1', 'v5.channel.k8s.io', (ws) => {
      ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":40}')]));
    });
    assert.equal(text(messages, 1), '100x40');
  });

  /** A plain HTTPS request; resolves status and body. */
  function get(path: string, creds: { key?: string; cert?: string }, headers: Record<string, string> = {}): Promise<{ code: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, ca: pki.server.ca, ...creds, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves only clients whose certificate the cluster CA signed: 401 without, 403 with a foreign one', async () => {
    assert.equal((await get('/healthz', pki.client)).code, 200);
    assert.equal((await get('/healthz', {})).code, 401);
    assert.equal((await get('/healthz', pki.stranger)).code, 403);
  });

  it('refuses with Kubernetes messages: missing container, no streams, unknown protocol', async () => {
    const ws = (path: string, protocol: string) =>
      new Promise<{ code: number; body: string }>((resolve) => {
        const w = new WebSocket(`wss://127.0.0.1:${port}${path}`, [protocol], pki.client);
        w.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        });
        w.on('error', () => undefined);
      });
    let r = await ws('/exec/ns/p/nope?command=true&stdout=1', 'v5.channel.k8s.io');
    assert.equal(r.code, 500);
    assert.equal(JSON.parse(r.body).message, 'container not found ("nope")');
    r = await ws('/exec/ns/p/c?command=true', 'v5.channel.k8s.io');
    assert.equal(r.code, 400);
    assert.match(JSON.parse(r.body).message, /at least 1 of stdin, stdout, stderr/);
    r = await ws('/exec/ns/p/c?command=true&stdout=1', 'v9.channel.k8s.io');
    assert.equal(r.code, 400);
    assert.match(JSON.parse(r.body).message, /unable to negotiate protocol/);
    const logs = await get('/containerLogs/ns/p/c', pki.client);
    assert.equal(logs.code, 500); // the fake runtime has no logs
  });

  it('SPDY/3.1: an upgrade, then error/stdin/stdout streams; the status arrives on the error stream', async () => {
    const sock = connect({ host: '127.0.0.1', port, ...pki.client });
    await once(sock, 'secureConnect');
    sock.write(
      `POST /exec/ns/p/c?command=cat&stdin=1&stdout=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
        `X-Stream-Protocol-Version: v5.channel.k8s.io\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`,
    );
    let head = '';
    while (!head.includes('\r\n\r\n')) head += ((await once(sock, 'data')) as [Buffer])[0].toString('latin1');
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /X-Stream-Protocol-Version: v4\.channel\.k8s\.io/);
    const session = new SpdySession(sock, { role: 'client' });
    const read = (s: SpdyStream) => new Promise<string>((r) => {
      let t = '';
      s.on('data', (d: Buffer) => (t += d.toString()));
      s.on('end', () => r(t));
    });
    const error = await session.openStream({ streamType: 'error' });
    error.end();
    const errorText = read(error);
    const stdin = await session.openStream({ streamType: 'stdin' });
    const stdout = await session.openStream({ streamType: 'stdout' });
    stdout.end();
    const out = read(stdout);
    stdin.end('over spdy');
    assert.equal(await out, 'over spdy<eof>');
    assert.equal(JSON.parse(await errorText).status, 'Success');
    session.destroy();
  });

  it('port-forward over WebSocket channels (?ports=): the port first, then data both ways; errors on the error channel', async () => {
    const echo = createTcpServer((c) => c.on('data', (d: Buffer) => c.end(`echo:${d.toString()}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as { port: number }).port;
    try {
      const { messages } = await wsSession(`/portForward/ns/p?ports=${echoPort}`, 'v4.channel.k8s.io', (ws) => {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ping')]));
      });
      const first = messages.filter(([c]) => c === 0);
      assert.equal(Buffer.from(first[0][1], 'latin1').length, 2);
      assert.equal(text(messages, 0).slice(2), 'echo:ping');
      // nothing listens on port 1
      const r = await wsSession('/portForward/ns/p?ports=1', 'v4.channel.k8s.io', () => undefined);
      assert.match(text(r.messages, 1).slice(2), /error forwarding port 1 to pod ns\/p, uid u: .*ECONNREFUSED/);
    } finally {
      echo.close();
    }
  });
});
