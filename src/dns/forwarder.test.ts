import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { Forwarder } from './forwarder.js';
import { startTestUpstream } from './test-upstream.js';
import { HEADER_BYTES, readQuestion } from './wire.js';

function ask(f: Forwarder, name: string) {
  const q = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] });
  const qEnd = readQuestion(q).end;
  return f.resolve(q, qEnd, Forwarder.key(name.toLowerCase(), 1, 1, false, false), false).then((a) => {
    const msg = Buffer.concat([q.subarray(0, qEnd), a.records]);
    msg.writeUInt16BE(a.counts[0], 6);
    msg.writeUInt16BE(a.counts[1], 8);
    msg.writeUInt16BE(a.counts[2], 10);
    return { ...a, packet: dnsPacket.decode(msg) };
  });
}

const ttlOf = (p: dnsPacket.DecodedPacket) => (p.answers![0] as { ttl: number }).ttl;

test('cache: positive answers live for their TTL (served TTLs count down), negative ones for the SOA minimum', async (t) => {
  const up = await startTestUpstream({ host: '127.0.0.2', records: { 'a.test': { A: ['192.0.2.1'], ttl: 30 } }, negativeTtl: 10 });
  let now = 1_000_000;
  const f = new Forwarder({ upstreams: [`127.0.0.2:${up.port}`], now: () => now });
  t.after(async () => {
    f.close();
    await up.stop();
  });
  const first = await ask(f, 'a.test');
  assert.equal(first.cached, false);
  assert.equal(ttlOf(first.packet), 30);
  now += 12_000;
  const second = await ask(f, 'A.TEST');
  assert.equal(second.cached, true);
  assert.equal(ttlOf(second.packet), 18);
  assert.equal(up.queries, 1);
  now += 18_001;
  await ask(f, 'a.test');
  assert.equal(up.queries, 2, 'expired: asked again');

  const nx = await ask(f, 'nx.test');
  assert.equal(nx.rcode, 3);
  await ask(f, 'nx.test');
  assert.equal(up.queries, 3, 'NXDOMAIN cached');
  now += 10_001;
  await ask(f, 'nx.test');
  assert.equal(up.queries, 4, 'negative entry expired after the SOA minimum');
});

test('cache is bounded; identical questions in flight share one upstream query', async (t) => {
  const records = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`n${i}.test`, { A: ['192.0.2.1'], ttl: 60 }]));
  const up = await startTestUpstream({ host: '127.0.0.2', records });
  const f = new Forwarder({ upstreams: [`127.0.0.2:${up.port}`], cacheSize: 3 });
  t.after(async () => {
    f.close();
    await up.stop();
  });
  await Promise.all([ask(f, 'n0.test'), ask(f, 'n0.test'), ask(f, 'n0.test')]);
  assert.equal(up.queries, 1);
  for (let i = 0; i < 5; i++) await ask(f, `n${i}.test`);
  assert.equal(f.cacheLength(), 3);
  await ask(f, 'n0.test');
  assert.equal(up.queries, 6, 'the oldest entry was evicted');
});

test('a truncated UDP answer is asked again over TCP', async (t) => {
  const up = await startTestUpstream({ host: '127.0.0.2', records: { 'big.test': { A: ['192.0.2.7'], ttl: 60 } }, truncateUdp: true });
  const f = new Forwarder({ upstreams: [`127.0.0.2:${up.port}`] });
  t.after(async () => {
    f.close();
    await up.stop();
  });
  const a = await ask(f, 'big.test');
  assert.deepEqual(a.packet.answers!.map((x) => (x as { data: string }).data), ['192.0.2.7']);
  assert.equal(up.tcpQueries, 1);
});

test('a silent upstream times out and the next one answers; none answering is SERVFAIL (not cached)', async (t) => {
  const dead = await startTestUpstream({ host: '127.0.0.2', records: {}, silent: true });
  const live = await startTestUpstream({ host: '127.0.0.3', records: { 'x.test': { A: ['192.0.2.9'], ttl: 60 } } });
  const f = new Forwarder({ upstreams: [`127.0.0.2:${dead.port}`, `127.0.0.3:${live.port}`], timeoutMs: 200 });
  const g = new Forwarder({ upstreams: [`127.0.0.2:${dead.port}`], timeoutMs: 100 });
  t.after(async () => {
    f.close();
    g.close();
    await dead.stop();
    await live.stop();
  });
  const started = Date.now();
  const a = await ask(f, 'x.test');
  assert.equal(a.rcode, 0);
  assert.equal(a.counts[0], 1);
  assert.ok(Date.now() - started >= 190);
  assert.equal((await ask(g, 'x.test')).rcode, 2);
  assert.equal((await ask(g, 'x.test')).rcode, 2);
  assert.equal(dead.queries, 3, 'SERVFAIL is not cached');
});

test('answers must come from the upstream asked, with our ID and question', async () => {
  const f = new Forwarder({ upstreams: [] });
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'z.test', type: 'A' }] });
  const a = await f.resolve(q, readQuestion(q).end, Forwarder.key('z.test', 1, 1, false, false), false);
  assert.equal(a.rcode, 2);
  assert.equal(q.length > HEADER_BYTES, true);
  f.close();
});
