import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { FrameDecoder, type Frame } from './frames.js';
import { SpdySession, type SpdyStream } from './session.js';

/** A client and a server session over a loopback TCP connection; `sent` records the frames the server sent. */
async function pair(t: { after(fn: () => void | Promise<void>): void }, serverWindow?: number) {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const clientSock = connect(port, '127.0.0.1');
  const [serverSock] = await accepted;
  const sentByServer: Frame[] = [];
  const dec = new FrameDecoder();
  clientSock.on('data', (c: Buffer) => sentByServer.push(...dec.push(c)));
  const s = new SpdySession(serverSock, { role: 'server', window: serverWindow });
  const c = new SpdySession(clientSock, { role: 'client' });
  t.after(() => {
    c.destroy();
    s.destroy();
    server.close();
  });
  return { s, c, sentByServer };
}

function readAll(stream: SpdyStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
}

test('streams: headers arrive, data flows both ways, FIN ends each direction', async (t) => {
  const { s, c } = await pair(t);
  const got = new Promise<SpdyStream>((r) => s.once('stream', r));
  const cs = await c.openStream({ streamType: 'stdin', port: '8080' });
  const ss = await got;
  assert.deepEqual(ss.headers, { streamtype: 'stdin', port: '8080' });
  assert.equal(cs.id % 2, 1);
  const serverRead = readAll(ss);
  cs.end('hello from client');
  assert.equal(await serverRead, 'hello from client');
  const clientRead = readAll(cs);
  ss.end('and back');
  assert.equal(await clientRead, 'and back');
});

test('many streams interleave; headers stay readable across the shared compression context', async (t) => {
  const { s, c } = await pair(t);
  const seen: string[] = [];
  s.on('stream', (st) => {
    seen.push(String(st.headers.requestid));
    st.pipe(st); // echo
  });
  const results = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const st = await c.openStream({ streamtype: 'data', requestid: String(i) });
      const r = readAll(st);
      st.end(`payload ${i}`);
      return r;
    }),
  );
  assert.deepEqual(results, Array.from({ length: 10 }, (_, i) => `payload ${i}`));
  assert.deepEqual(seen.sort(), Array.from({ length: 10 }, (_, i) => String(i)).sort());
});

test('large transfers are split into frames and acknowledged with WINDOW_UPDATE', async (t) => {
  const { s, c, sentByServer } = await pair(t, 16 * 1024);
  s.on('stream', (st) => {
    let n = 0;
    st.on('data', (d: Buffer) => (n += d.length));
    st.on('end', () => st.end(String(n)));
  });
  const st = await c.openStream({ streamtype: 'data' });
  const r = readAll(st);
  st.end(Buffer.alloc(300 * 1024, 7));
  assert.equal(await r, String(300 * 1024));
  const settings = sentByServer.find((f) => f.type === 'settings');
  assert.deepEqual(settings && settings.type === 'settings' ? settings.entries : [], [{ id: 7, flags: 0, value: 16 * 1024 }]);
  const updates = sentByServer.filter((f) => f.type === 'window_update');
  const streamAcked = updates.filter((f) => f.type === 'window_update' && f.streamId === st.id).reduce((a, f) => a + (f.type === 'window_update' ? f.delta : 0), 0);
  const sessionAcked = updates.filter((f) => f.type === 'window_update' && f.streamId === 0).reduce((a, f) => a + (f.type === 'window_update' ? f.delta : 0), 0);
  assert.ok(streamAcked >= 300 * 1024 - 16 * 1024, `stream acked ${streamAcked}`);
  assert.ok(sessionAcked >= 300 * 1024 - 16 * 1024, `session acked ${sessionAcked}`);
});

test('PING is answered; RST_STREAM destroys the stream on the other side', async (t) => {
  const { s, c } = await pair(t);
  assert.ok((await c.ping()) >= 0);
  assert.ok((await s.ping()) >= 0);
  const got = new Promise<SpdyStream>((r) => s.once('stream', r));
  const cs = await c.openStream({ streamtype: 'data' });
  const ss = await got;
  const closed = once(ss, 'close');
  cs.reset();
  await closed;
  assert.equal(ss.resetStatus, 5);
});

test('closing the transport destroys open streams and closes the session', async (t) => {
  const { s, c } = await pair(t);
  const got = new Promise<SpdyStream>((r) => s.once('stream', r));
  await c.openStream({ streamtype: 'data' });
  const ss = await got;
  const sessionClosed = once(s, 'close');
  c.close();
  await sessionClosed;
  assert.ok(ss.destroyed);
});
