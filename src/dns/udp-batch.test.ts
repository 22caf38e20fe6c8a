// BatchedUdpServer over real loopback sockets: replies that overflow the reply buffer mid-batch,
// replies that are ready later, datagrams of any size, IPv6 peers, close. Skipped only where the
// addon is not built (server.test.ts fails when it is built but ClusterDNS does not use it).
import { strict as assert } from 'node:assert';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { BatchedUdpServer, loadUdpBatch, udpBatchBuilt } from './udp-batch.js';

const skip = udpBatchBuilt() ? false : 'the skiff-udp-batch addon is not built (npm install builds it on Linux)';

async function client(type: 'udp4' | 'udp6', host: string): Promise<Socket> {
  const s = createSocket({ type, recvBufferSize: 8 << 20 });
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  return s;
}

/** sends `datagrams` at once and collects as many replies (or fails after 5 s) */
function exchange(s: Socket, port: number, host: string, datagrams: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`${got.length} of ${datagrams.length} replies`)), 5000);
    s.on('message', (m) => {
      got.push(m);
      if (got.length === datagrams.length) {
        clearTimeout(timer);
        s.removeAllListeners('message');
        resolve(got);
      }
    });
    for (const d of datagrams) s.send(d, port, host);
  });
}

test('replies of any size reach each sender, also when they overflow the reply buffer mid-batch', { skip }, async (t) => {
  const addon = loadUdpBatch().addon!;
  // 20,000-byte replies: a batch of more than 12 overflows the 256 KiB reply buffer and is flushed early
  const server = new BatchedUdpServer(addon, 4, '127.0.0.1', 0, 8 << 20, (d) => Buffer.concat([d.subarray(0, 4), Buffer.alloc(20_000, d[3])]));
  t.after(() => server.close());
  const s = await client('udp4', '127.0.0.1');
  t.after(() => s.close());
  const queries = Array.from({ length: 40 }, (_, i) => Buffer.from([0, 0, 0, i]));
  const replies = await exchange(s, server.port, '127.0.0.1', queries);
  assert.deepEqual(replies.map((r) => r[3]).sort((a, b) => a - b), queries.map((_, i) => i));
  for (const r of replies) assert.ok(r.length === 20_004 && r[20_003] === r[3]);
  // a datagram larger than any DNS query arrives whole
  const [big] = await exchange(s, server.port, '127.0.0.1', [Buffer.alloc(60_000, 7)]);
  assert.equal(big.length, 20_004);
  assert.equal(big[10], 7);
  const st = server.stats();
  assert.equal(st.datagrams, 41);
  assert.equal(st.replies, 41);
  assert.equal(st.sendErrors, 0);
});

test('a reply that is ready later goes to its sender; after close() nothing is sent and the port is free', { skip }, async (t) => {
  const addon = loadUdpBatch().addon!;
  let release!: () => void;
  const later = new Promise<void>((r) => (release = r));
  const server = new BatchedUdpServer(addon, 6, '::1', 0, 0, (d) => (d[0] === 1 ? later.then(() => Buffer.from('late')) : d[0] === 2 ? undefined : Buffer.from('now')));
  const s = await client('udp6', '::1');
  t.after(() => s.close());
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString()));
  s.send(Buffer.from([1]), server.port, '::1');
  s.send(Buffer.from([2]), server.port, '::1');
  s.send(Buffer.from([3]), server.port, '::1');
  while (got.length < 1) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(got, ['now']);
  release();
  while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(got, ['now', 'late']);

  let releaseAfterClose!: () => void;
  const afterClose = new Promise<void>((r) => (releaseAfterClose = r));
  const port = server.port;
  const second = new BatchedUdpServer(addon, 4, '127.0.0.1', 0, 0, () => afterClose.then(() => Buffer.from('too late')));
  const s4 = await client('udp4', '127.0.0.1');
  t.after(() => s4.close());
  s4.on('message', (m) => got.push(m.toString()));
  s4.send(Buffer.from([9]), second.port, '127.0.0.1');
  while (second.stats().datagrams < 1) await new Promise((r) => setTimeout(r, 5));
  second.close();
  server.close();
  releaseAfterClose();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(got, ['now', 'late'], 'no reply after close');
  // the port is free as soon as close() returns
  const again = new BatchedUdpServer(addon, 6, '::1', port, 0, () => undefined);
  assert.equal(again.port, port);
  again.close();
  assert.throws(() => new BatchedUdpServer(addon, 4, '127.0.0.1', s4.address().port, 0, () => undefined), { code: 'EADDRINUSE' });
});
