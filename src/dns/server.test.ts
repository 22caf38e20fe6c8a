// ClusterDNS over real sockets on 127.0.0.1 with the in-memory FakeClient as its cluster: the
// parts the e2e test (test/e2e/dns.test.ts, real API server) does not reach. Every UDP test runs
// on both socket layers: 'batched' (the native addon; skipped only where it is not built, and
// then the next test fails if it is built but not used) and 'dgram' (the fallback).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { FakeClient } from '../client/fake-client.js';
import { ClusterDNS, ENDPOINT_SLICES, literalAddressLookup, SERVICES, type UdpIO } from './server.js';
import { startTestUpstream } from './test-upstream.js';
import { UDP_BATCH_PACKAGE, udpBatchBuilt } from './udp-batch.js';

const BUILT = udpBatchBuilt();
const MODES: [UdpIO, { skip: string | false }][] = [
  ['batched', { skip: BUILT ? false : 'the skiff-udp-batch addon is not built (npm install builds it on Linux)' }],
  ['dgram', { skip: false }],
];

function raw(port: number, msg: Buffer, host = '127.0.0.1'): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, 500);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, port, host);
  });
}

type Decoded = dnsPacket.DecodedPacket & { rcode?: string };
const decode = (b: Buffer): Decoded => dnsPacket.decode(b);
const query = (name: string, type = 'A', id = 42) => dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }] });

async function start(t: { after(f: () => Promise<void>): void }, udpIO: UdpIO, upstreams: string[] = [], host = '127.0.0.1') {
  const client = new FakeClient();
  const dns = new ClusterDNS({ client, listen: { host, port: 0 }, upstreams, upstreamTimeoutMs: 300, udpIO });
  const { port } = await dns.start();
  t.after(() => dns.stop());
  assert.equal(dns.udpIO(), udpIO);
  return { client, dns, port };
}

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await f())) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the batched UDP path is used wherever the addon is built, and it batches', { skip: BUILT ? false : 'the skiff-udp-batch addon is not built' }, async (t) => {
  const client = new FakeClient();
  const lines: string[] = [];
  const dns = new ClusterDNS({ client, listen: { host: '127.0.0.1', port: 0 }, upstreams: [], log: (l) => lines.push(l) }); // default udpIO: auto
  const { port } = await dns.start();
  t.after(() => dns.stop());
  assert.equal(dns.udpIO(), 'batched', `built but not used: ${lines.join(' | ')}`);
  assert.ok(lines.some((l) => l.includes('(udp batched, tcp)')));
  await client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.7' } });
  await until('web resolves', async () => decode((await raw(port, query('web.default.svc.cluster.local')))!).answers!.length === 1);
  // a burst from one socket: every query answered once, with its own ID, in fewer batches than datagrams
  const before = dns.udpBatchStats()!;
  const BURST = 200;
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 }); // the answers arrive in bursts too
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  const ids = new Set<number>();
  const all = new Promise<void>((resolve, reject) => {
    setTimeout(() => reject(new Error(`${ids.size} of ${BURST} answered`)), 5000).unref();
    s.on('message', (m) => {
      const r = decode(m);
      assert.deepEqual(r.answers!.map((a) => (a as { data: unknown }).data), ['10.96.0.7']);
      assert.ok(!ids.has(r.id!), 'one answer per query');
      ids.add(r.id!);
      if (ids.size === BURST) resolve();
    });
  });
  for (let id = 0; id < BURST; id++) s.send(query('web.default.svc.cluster.local', 'A', id), port, '127.0.0.1');
  await all;
  const after = dns.udpBatchStats()!;
  assert.ok(after.datagrams - before.datagrams >= BURST);
  assert.ok(after.replies - before.replies >= BURST);
  assert.ok(after.batches - before.batches < after.datagrams - before.datagrams, `${after.batches - before.batches} batches for ${after.datagrams - before.datagrams} datagrams`);
});

test('fallback: a listen host that is not an IP literal is served with node:dgram, said in one log line', async (t) => {
  const lines: string[] = [];
  const dns = new ClusterDNS({ client: new FakeClient(), listen: { host: 'localhost', port: 0 }, upstreams: [], log: (l) => lines.push(l) });
  const { port } = await dns.start();
  t.after(() => dns.stop());
  assert.equal(dns.udpIO(), 'dgram');
  assert.equal(dns.udpBatchStats(), undefined);
  assert.equal(lines.filter((l) => l.includes('batched UDP I/O unavailable') && l.includes('serving UDP with node:dgram')).length, 1, lines.join(' | '));
  assert.equal(decode((await raw(port, query('example.com')))!).rcode, 'SERVFAIL');
  await assert.rejects(new ClusterDNS({ client: new FakeClient(), listen: { host: 'localhost', port: 0 }, upstreams: [], udpIO: 'batched' }).start(), /batched UDP I\/O unavailable/);
});

test('fallback: without the addon (it does not load) ClusterDNS serves UDP with node:dgram and says why in one log line', async (t) => {
  // a child process in which resolving the addon's package fails, as on a machine where it was not built
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-fallback-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const preload = join(dir, 'no-addon.cjs');
  writeFileSync(preload, `const M = require('node:module'); const r = M._resolveFilename; M._resolveFilename = function (req, ...rest) { if (req === ${JSON.stringify(UDP_BATCH_PACKAGE)}) throw new Error('Cannot find module ' + req); return r.call(this, req, ...rest); };\n`);
  const script = join(dir, 'serve.mjs');
  writeFileSync(script, [
    `import { FakeClient } from ${JSON.stringify(new URL('../client/fake-client.js', import.meta.url).href)};`,
    `import { ClusterDNS } from ${JSON.stringify(new URL('./server.js', import.meta.url).href)};`,
    `const lines = [];`,
    `const dns = new ClusterDNS({ client: new FakeClient(), listen: { host: '127.0.0.1', port: 0 }, upstreams: [], log: (l) => lines.push(l) });`,
    `const { port } = await dns.start();`,
    `process.stdout.write(JSON.stringify({ port, udpIO: dns.udpIO(), lines }) + '\\n');`,
    `process.stdin.resume(); process.stdin.on('end', () => void dns.stop());`,
  ].join('\n'));
  const child = spawn(process.execPath, ['--require', preload, script], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => void (child.exitCode === null && child.kill()));
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()).includes('\n') && resolve(out.split('\n')[0]));
    child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
  const { port, udpIO, lines } = JSON.parse(first) as { port: number; udpIO: string; lines: string[] };
  assert.equal(udpIO, 'dgram');
  const fallback = lines.filter((l) => l.includes('batched UDP I/O unavailable'));
  assert.equal(fallback.length, 1, lines.join(' | '));
  assert.match(fallback[0], /addon Cannot find module skiff-udp-batch.*serving UDP with node:dgram/);
  assert.equal(decode((await raw(port, query('example.com')))!).rcode, 'SERVFAIL', 'and it answers');
  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));
});

for (const [udpIO, skip] of MODES) {
test(`${udpIO}: UDP answers: truncation (TC at 512 bytes or the EDNS0 size), forwarding with its cache, IPv6`, skip, async (t) => {
  const upstream = await startTestUpstream({ host: '127.0.0.2', records: { 'example.test': { A: ['192.0.2.10'], ttl: 60 }, 'big.test': { A: Array.from({ length: 60 }, (_, i) => `192.0.2.${i + 1}`), ttl: 60 } } });
  t.after(() => upstream.stop());
  const { client, dns, port } = await start(t, udpIO, [`127.0.0.2:${upstream.port}`]);
  await client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'many', namespace: 'default' }, spec: { clusterIP: 'None' } });
  await client.create(ENDPOINT_SLICES, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'many-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'many' } }, addressType: 'IPv4', endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.1.2.${i + 1}`] })), ports: [] } as never);
  await until('many resolves', async () => decode((await raw(port, query('many.default.svc.cluster.local')))!).rcode === 'NOERROR');
  const small = (await raw(port, query('many.default.svc.cluster.local')))!;
  assert.ok(small.length <= 512);
  assert.ok(decode(small).flag_tc, 'truncated at 512 bytes');
  const ednsQuery = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'many.default.svc.cluster.local', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0 } as never] });
  const full = decode((await raw(port, ednsQuery))!);
  assert.ok(!full.flag_tc);
  assert.equal(full.answers!.length, 60);
  // forwarded (answered later, not in the batch that brought the query), then from the cache
  const ext = decode((await raw(port, query('example.test', 'A', 99)))!);
  assert.equal(ext.id, 99);
  assert.deepEqual(ext.answers!.map((a) => (a as { data: unknown }).data), ['192.0.2.10']);
  assert.deepEqual(decode((await raw(port, query('example.test', 'A', 100)))!).answers!.map((a) => (a as { data: unknown }).data), ['192.0.2.10']);
  assert.equal(dns.upstreamQueries(), 1);
  assert.ok(decode((await raw(port, query('big.test')))!).flag_tc, 'a forwarded answer over 512 bytes is truncated too');
  // IPv6 listen address
  const v6 = await start(t, udpIO, [], '::1');
  await v6.client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.8' } });
  await until('web resolves over ::1', async () => decode((await raw(v6.port, query('web.default.svc.cluster.local'), '::1'))!).answers!.length === 1);
});

test(`${udpIO}: stop() frees the port at once and late forwarded answers are dropped`, skip, async (t) => {
  const slow = await startTestUpstream({ host: '127.0.0.2', records: {}, silent: true });
  t.after(() => slow.stop());
  const { dns, port } = await start(t, udpIO, [`127.0.0.2:${slow.port}`]);
  const pending = raw(port, query('never.example'));
  await new Promise((r) => setTimeout(r, 50));
  await dns.stop();
  assert.equal(await pending, undefined);
  const again = new ClusterDNS({ client: new FakeClient(), listen: { host: '127.0.0.1', port }, upstreams: [], udpIO });
  assert.equal((await again.start()).port, port);
  t.after(() => again.stop());
  assert.equal(decode((await raw(port, query('x.example')))!).rcode, 'SERVFAIL');
});

test(`${udpIO}: malformed queries get FORMERR (or nothing), other opcodes NOTIMP, responses are never answered`, skip, async (t) => {
  const { port } = await start(t, udpIO);
  const junk = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 0x61]);
  const r = decode((await raw(port, junk))!);
  assert.equal(r.id, 0x1234);
  assert.equal(r.rcode, 'FORMERR');
  assert.equal(await raw(port, Buffer.from([1, 2, 3])), undefined);
  const notify = query('cluster.local', 'SOA');
  notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
  assert.equal(decode((await raw(port, notify))!).rcode, 'NOTIMP');
  const chaos = dnsPacket.encode({ type: 'query', id: 9, questions: [{ name: 'web.default.svc.cluster.local', type: 'TXT', class: 'CH' }] });
  assert.equal(decode((await raw(port, chaos))!).rcode, 'REFUSED');
  const response = query('cluster.local', 'SOA');
  response.writeUInt16BE(response.readUInt16BE(2) | 0x8000, 2);
  assert.equal(await raw(port, response), undefined);
});

test(`${udpIO}: no upstreams: names outside the cluster domain are SERVFAIL; the zone still answers`, skip, async (t) => {
  const { client, dns, port } = await start(t, udpIO);
  await client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.7' } });
  const deadline = Date.now() + 3000;
  while (!dns.ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const ext = decode((await raw(port, query('example.com')))!);
  assert.equal(ext.rcode, 'SERVFAIL');
  assert.equal(ext.id, 42);
  let a;
  do a = decode((await raw(port, query('web.default.svc.cluster.local')))!);
  while (!a.answers!.length && Date.now() < deadline);
  assert.deepEqual(a.answers!.map((x) => (x as { data: unknown }).data), ['10.96.0.7']);
  assert.equal(dns.upstreamQueries(), 0);
});

test(`${udpIO}: no forwarding to itself: our own address as upstream is dropped; a relay back to us (kube-dns VIP) is caught as a loop`, skip, async (t) => {
  // a relay on 127.0.0.2 stands in for the kube-dns ClusterIP DNAT'd to this very server
  const relay = createSocket('udp4');
  await new Promise<void>((r) => relay.bind(0, '127.0.0.2', () => r()));
  let serverPort = 0;
  const clients = new Map<number, { port: number; address: string }>();
  relay.on('message', (m, r) => {
    if (r.port === serverPort && r.address === '127.0.0.1') {
      const c = clients.get(m.readUInt16BE(0));
      if (c) relay.send(m, c.port, c.address);
    } else {
      clients.set(m.readUInt16BE(0), r);
      relay.send(m, serverPort, '127.0.0.1');
    }
  });
  t.after(() => new Promise<void>((r) => relay.close(() => r())));
  const client = new FakeClient();
  const dns = new ClusterDNS({ client, listen: { host: '127.0.0.1', port: 0 }, upstreams: [`127.0.0.2:${relay.address().port}`], upstreamTimeoutMs: 2000, udpIO });
  ({ port: serverPort } = await dns.start());
  t.after(() => dns.stop());
  const started = Date.now();
  const r = decode((await raw(serverPort, query('loop.example')))!);
  assert.equal(r.rcode, 'SERVFAIL');
  assert.ok(Date.now() - started < 1000, 'the loop is detected, not timed out');

  // listening on a known port with that very address as the only upstream: dropped, so SERVFAIL at once
  const probe = createSocket('udp4');
  const free = await new Promise<number>((r) => probe.bind(0, '127.0.0.1', () => r(probe.address().port)));
  await new Promise<void>((r) => probe.close(() => r()));
  const lines: string[] = [];
  const self = new ClusterDNS({ client, listen: { host: '127.0.0.1', port: free }, upstreams: [`127.0.0.1:${free}`], log: (l) => lines.push(l), udpIO });
  await self.start();
  t.after(() => self.stop());
  const t0 = Date.now();
  assert.equal(decode((await raw(free, query('self.example')))!).rcode, 'SERVFAIL');
  assert.ok(Date.now() - t0 < 500);
  assert.equal(self.upstreamQueries(), 0);
  assert.ok(lines.some((l) => l.includes('is this server itself')));
});
}

test('the serving socket\'s lookup passes IP literals through at once and resolves names as dns.lookup does', async () => {
  const seen: [string | null, string, number][] = [];
  literalAddressLookup('198.18.80.7', 4, (err, address, family) => seen.push([err && err.message, address, family]));
  literalAddressLookup('::1', 6, (err, address, family) => seen.push([err && err.message, address, family]));
  assert.deepEqual(seen, [[null, '198.18.80.7', 4], [null, '::1', 6]], 'synchronously, with the literal\'s family');
  const named = await new Promise<[string, number]>((resolve, reject) => literalAddressLookup('localhost', 4, (err, address, family) => (err ? reject(err) : resolve([address, family]))));
  assert.deepEqual(named, ['127.0.0.1', 4]);
});
