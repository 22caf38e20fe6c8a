// ClusterDNS over real sockets on 127.0.0.1 with the in-memory FakeClient as its cluster: the
// parts the e2e test (test/e2e/dns.test.ts, real API server) does not reach.
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { FakeClient } from '../client/fake-client.js';
import { ClusterDNS, literalAddressLookup, SERVICES } from './server.js';

function raw(port: number, msg: Buffer, host = '127.0.0.1'): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
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

async function start(t: { after(f: () => Promise<void>): void }, upstreams: string[] = []) {
  const client = new FakeClient();
  const dns = new ClusterDNS({ client, listen: { host: '127.0.0.1', port: 0 }, upstreams, upstreamTimeoutMs: 300 });
  const { port } = await dns.start();
  t.after(() => dns.stop());
  return { client, dns, port };
}

test('malformed queries get FORMERR (or nothing), other opcodes NOTIMP, responses are never answered', async (t) => {
  const { port } = await start(t);
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

test('no upstreams: names outside the cluster domain are SERVFAIL; the zone still answers', async (t) => {
  const { client, dns, port } = await start(t);
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

test('no forwarding to itself: our own address as upstream is dropped; a relay back to us (kube-dns VIP) is caught as a loop', async (t) => {
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
  const dns = new ClusterDNS({ client, listen: { host: '127.0.0.1', port: 0 }, upstreams: [`127.0.0.2:${relay.address().port}`], upstreamTimeoutMs: 2000 });
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
  const self = new ClusterDNS({ client, listen: { host: '127.0.0.1', port: free }, upstreams: [`127.0.0.1:${free}`], log: (l) => lines.push(l) });
  await self.start();
  t.after(() => self.stop());
  const t0 = Date.now();
  assert.equal(decode((await raw(free, query('self.example')))!).rcode, 'SERVFAIL');
  assert.ok(Date.now() - t0 < 500);
  assert.equal(self.upstreamQueries(), 0);
  assert.ok(lines.some((l) => l.includes('is this server itself')));
});

test('the serving socket\'s lookup passes IP literals through at once and resolves names as dns.lookup does', async () => {
  const seen: [string | null, string, number][] = [];
  literalAddressLookup('198.18.80.7', 4, (err, address, family) => seen.push([err && err.message, address, family]));
  literalAddressLookup('::1', 6, (err, address, family) => seen.push([err && err.message, address, family]));
  assert.deepEqual(seen, [[null, '198.18.80.7', 4], [null, '::1', 6]], 'synchronously, with the literal\'s family');
  const named = await new Promise<[string, number]>((resolve, reject) => literalAddressLookup('localhost', 4, (err, address, family) => (err ? reject(err) : resolve([address, family]))));
  assert.deepEqual(named, ['127.0.0.1', 4]);
});
