// Cluster DNS against a real skiff API server (in-process, memory storage, no agent): Services,
// EndpointSlices and Pods are created through the API, ClusterDNS watches them over HTTPS, and
// every record type is asked over real UDP and TCP sockets on 127.0.0.1 — with dig when it is
// installed (as the proof does on the node) and with dns-packet otherwise. Upstream names
// go to a test DNS server on 127.0.0.2. Nothing leaves the machine.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import { resourceInfo, type Client } from '../../src/client/client.js';
import { HttpClient } from '../../src/client/http-client.js';
import { parseServerFlags } from '../../src/cli/flags.js';
import { startServer, type RunningServer } from '../../src/cli/server.js';
import { ClusterDNS, ENDPOINT_SLICES, PODS, SERVICES } from '../../src/dns/server.js';
import { startTestUpstream, type TestUpstream } from '../../src/dns/test-upstream.js';

const DIG = ['/usr/bin/dig', '/bin/dig'].find((p) => existsSync(p));
const NS = 'dnstest';

let server: RunningServer;
let dataDir: string;
let client: HttpClient;
let dns: ClusterDNS;
let port: number;
let upstream: TestUpstream;

async function create(info: typeof SERVICES, obj: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await (client as Client).create(info, obj as never)) as Record<string, unknown>;
}

async function until(what: string, f: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function udpQuery(name: string, type: string, opts: { edns?: number } = {}): Promise<DecodedPacket & { rcode?: string; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const id = Math.floor(Math.random() * 65535);
    const additionals = opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: 0 } as unknown as Answer] : [];
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no answer for ${name} ${type}`));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(Object.assign(dnsPacket.decode(m), { raw: m }));
    });
    s.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }], additionals }), port, '127.0.0.1');
  });
}

/** Several queries on one TCP connection, answered in any order; matched by ID. */
function tcpQueries(qs: readonly [string, string][]): Promise<(DecodedPacket & { rcode?: string })[]> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const got = new Map<number, DecodedPacket>();
    c.on('connect', () => {
      c.write(Buffer.concat(qs.map(([name, type], i) => dnsPacket.streamEncode({ type: 'query', id: i + 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }] }))));
    });
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const p = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        got.set(p.id!, p);
      }
      if (got.size === qs.length) {
        c.end();
        resolve(qs.map((_, i) => got.get(i + 1)!));
      }
    });
    c.on('error', reject);
    setTimeout(() => reject(new Error('tcp queries timed out')), 3000).unref();
  });
}

function dig(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(DIG!, ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

const data = (p: DecodedPacket, type?: string) => (p.answers ?? []).filter((a) => !type || a.type === type).map((a) => (a as { data: unknown }).data);

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-dns-'));
  server = await startServer(parseServerFlags(['--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', '--cluster-cidr', '198.18.0.0/17', '--service-cidr', '198.18.128.0/17', '--storage', 'memory', '--disable-agent']));
  client = HttpClient.fromKubeconfig(server.kubeconfigPath);
  upstream = await startTestUpstream({ host: '127.0.0.2', records: { 'example.test': { A: ['192.0.2.10'], ttl: 1 }, 'fwd.test': { A: ['192.0.2.20'], ttl: 1 }, 'big.test': { A: Array.from({ length: 60 }, (_, i) => `192.0.2.${i + 1}`), ttl: 60 } } });
  await create(resourceNS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const s = (name: string, spec: Record<string, unknown>) => create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec });
  await s('web', { clusterIP: '198.18.130.7', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] });
  await s('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] });
  await s('ext', { type: 'ExternalName', externalName: 'web.dnstest.svc.cluster.local' });
  await s('outside', { type: 'ExternalName', externalName: 'example.test' });
  await s('many', { clusterIP: 'None', ports: [{ name: 'p', port: 1 }] });
  const slice = (name: string, svc: string, endpoints: unknown[], ports: unknown[]) =>
    create(ENDPOINT_SLICES, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': svc } }, addressType: 'IPv4', endpoints, ports });
  await slice('db-1', 'db', [
    { addresses: ['198.18.1.10'], hostname: 'db-0', conditions: { ready: true } },
    { addresses: ['198.18.1.11'], hostname: 'db-1', conditions: { ready: true } },
    { addresses: ['198.18.1.12'], hostname: 'db-2', conditions: { ready: false } },
  ], [{ name: 'pg', port: 5432, protocol: 'TCP' }]);
  await slice('many-1', 'many', Array.from({ length: 60 }, (_, i) => ({ addresses: [`198.18.2.${i + 1}`] })), [{ name: 'p', port: 1, protocol: 'TCP' }]);
  const pod = await create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely', namespace: NS }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const { resourceVersion: _rv, ...meta } = pod.metadata as Record<string, unknown>; // unconditional: controllers may touch the pod meanwhile
  await client.updateStatus(PODS, { ...pod, metadata: meta, status: { phase: 'Running', podIP: '198.18.3.4', podIPs: [{ ip: '198.18.3.4' }] } } as never);

  dns = new ClusterDNS({ client, listen: { host: '127.0.0.1', port: 0 }, upstreams: [`127.0.0.2:${upstream.port}`], healthListen: { host: '127.0.0.1', port: 0 } });
  ({ port } = await dns.start());
  await until('informers synced', () => dns.ready());
});

after(async () => {
  await dns?.stop();
  await upstream?.stop();
  client?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const resourceNS = resourceInfo('', 'v1', 'namespaces');

test('A for a ClusterIP Service, case-insensitive, AAAA empty NOERROR for a v4-only Service', async () => {
  const r = await udpQuery('Web.DnsTest.SVC.cluster.local', 'A');
  assert.equal(r.rcode, 'NOERROR');
  assert.ok(r.flag_aa);
  assert.deepEqual(data(r), ['198.18.130.7']);
  assert.equal(r.answers![0].name, 'Web.DnsTest.SVC.cluster.local');
  assert.equal(r.questions![0].name, 'Web.DnsTest.SVC.cluster.local', 'the question is echoed as spelled');
  assert.equal((r.answers![0] as { ttl: number }).ttl, 5);
  const v6 = await udpQuery('web.dnstest.svc.cluster.local', 'AAAA');
  assert.equal(v6.rcode, 'NOERROR');
  assert.deepEqual(v6.answers, []);
  assert.equal(v6.authorities![0].type, 'SOA');
});

test('headless Service: ready endpoint IPs, per-endpoint hostnames, SRV per endpoint', async () => {
  const r = await udpQuery('db.dnstest.svc.cluster.local', 'A');
  assert.deepEqual(data(r).sort(), ['198.18.1.10', '198.18.1.11']);
  assert.deepEqual(data(await udpQuery('db-1.db.dnstest.svc.cluster.local', 'A')), ['198.18.1.11']);
  assert.equal((await udpQuery('db-2.db.dnstest.svc.cluster.local', 'A')).rcode, 'NXDOMAIN'); // not ready
  const srv = await udpQuery('_pg._tcp.db.dnstest.svc.cluster.local', 'SRV');
  assert.deepEqual(data(srv).map((d) => (d as { target: string; port: number }).target).sort(), ['db-0.db.dnstest.svc.cluster.local', 'db-1.db.dnstest.svc.cluster.local']);
  assert.ok(data(srv).every((d) => (d as { port: number }).port === 5432));
  assert.deepEqual((srv.additionals ?? []).filter((a) => a.type === 'A').map((a) => (a as { data: string }).data).sort(), ['198.18.1.10', '198.18.1.11']);
});

test('SRV for the named ports of a ClusterIP Service target the Service name', async () => {
  const r = await udpQuery('_http._tcp.web.dnstest.svc.cluster.local', 'SRV');
  assert.deepEqual(data(r), [{ priority: 0, weight: 100, port: 80, target: 'web.dnstest.svc.cluster.local' }]);
  assert.deepEqual(data(await udpQuery('_dns._udp.web.dnstest.svc.cluster.local', 'SRV')).map((d) => (d as { port: number }).port), [53]);
  assert.equal((await udpQuery('_http._udp.web.dnstest.svc.cluster.local', 'SRV')).rcode, 'NXDOMAIN');
});

test('ExternalName: CNAME, chased to A in the cluster and through the upstream outside it', async () => {
  const r = await udpQuery('ext.dnstest.svc.cluster.local', 'A');
  assert.deepEqual(r.answers!.map((a) => [a.type, (a as { data: string }).data]), [['CNAME', 'web.dnstest.svc.cluster.local'], ['A', '198.18.130.7']]);
  const o = await udpQuery('outside.dnstest.svc.cluster.local', 'A');
  assert.deepEqual(o.answers!.map((a) => [a.type, (a as { data: string }).data]), [['CNAME', 'example.test'], ['A', '192.0.2.10']]);
  assert.deepEqual(data(await udpQuery('outside.dnstest.svc.cluster.local', 'CNAME')), ['example.test']);
});

test('PTR for cluster IPs, endpoint hostnames and pod IPs; pod A records', async () => {
  assert.deepEqual(data(await udpQuery('7.130.18.198.in-addr.arpa', 'PTR')), ['web.dnstest.svc.cluster.local']);
  assert.deepEqual(data(await udpQuery('10.1.18.198.in-addr.arpa', 'PTR')), ['db-0.db.dnstest.svc.cluster.local']);
  assert.deepEqual(data(await udpQuery('4.3.18.198.in-addr.arpa', 'PTR')), ['198-18-3-4.dnstest.pod.cluster.local']);
  assert.deepEqual(data(await udpQuery('5.2.18.198.in-addr.arpa', 'PTR')), ['198-18-2-5.dnstest.pod.cluster.local']);
  assert.deepEqual(data(await udpQuery('1-2-3-4.dnstest.pod.cluster.local', 'A')), ['1.2.3.4']);
  assert.equal((await udpQuery('1-2-3-999.dnstest.pod.cluster.local', 'A')).rcode, 'NXDOMAIN');
});

test('NXDOMAIN with the SOA for missing names (search-path expansions too), NODATA for existing ones, SOA and NS at the apex', async () => {
  for (const name of ['nope.dnstest.svc.cluster.local', 'web.dnstest.svc.cluster.local.dnstest.svc.cluster.local', 'web.dnstest.svc.cluster.local.cluster.local', 'x.y.cluster.local']) {
    const r = await udpQuery(name, 'A');
    assert.equal(r.rcode, 'NXDOMAIN', name);
    assert.equal(r.authorities![0].type, 'SOA');
    assert.equal((r.authorities![0] as { data: { minimum: number } }).data.minimum, 5);
  }
  const nodata = await udpQuery('dnstest.svc.cluster.local', 'A');
  assert.equal(nodata.rcode, 'NOERROR');
  assert.deepEqual(nodata.answers, []);
  assert.equal(nodata.authorities![0].type, 'SOA');
  for (const type of ['TXT', 'MX', 'UNKNOWN_65']) {
    const r = await udpQuery('web.dnstest.svc.cluster.local', type);
    assert.equal(r.rcode, 'NOERROR', type);
    assert.deepEqual(r.answers, [], type);
    assert.equal(r.questions![0].type, type);
  }
  assert.equal(data(await udpQuery('cluster.local', 'SOA'), 'SOA').length, 1);
  assert.deepEqual(data(await udpQuery('cluster.local', 'NS')), ['ns.dns.cluster.local']);
});

test('TCP: several queries on one connection', async () => {
  const [a, b, c] = await tcpQueries([['web.dnstest.svc.cluster.local', 'A'], ['db.dnstest.svc.cluster.local', 'A'], ['nope.cluster.local', 'A']]);
  assert.deepEqual(data(a), ['198.18.130.7']);
  assert.equal(data(b).length, 2);
  assert.equal(c.rcode, 'NXDOMAIN');
});

test('truncation: a large answer has TC over UDP (512 bytes, or the EDNS0 size), complete over TCP; OPT echoed', async () => {
  const small = await udpQuery('many.dnstest.svc.cluster.local', 'A');
  assert.ok(small.flag_tc);
  assert.ok(small.raw.length <= 512);
  const edns = await udpQuery('many.dnstest.svc.cluster.local', 'A', { edns: 4096 });
  assert.ok(!edns.flag_tc);
  assert.equal(data(edns).length, 60);
  assert.equal(edns.additionals!.filter((a) => a.type === 'OPT').length, 1);
  const [tcp] = await tcpQueries([['many.dnstest.svc.cluster.local', 'A']]);
  assert.ok(!tcp.flag_tc);
  assert.equal(data(tcp).length, 60);
  const fwd = await udpQuery('big.test', 'A');
  assert.ok(fwd.flag_tc, 'a forwarded answer over 512 bytes is truncated too');
});

test('records follow the API: a new Service resolves, a deleted one is NXDOMAIN', async () => {
  await create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'late', namespace: NS }, spec: { clusterIP: '198.18.130.9', ports: [{ port: 80 }] } });
  await until('late resolves', async () => data(await udpQuery('late.dnstest.svc.cluster.local', 'A'))[0] === '198.18.130.9');
  await client.delete(SERVICES, NS, 'late');
  await until('late is gone', async () => (await udpQuery('late.dnstest.svc.cluster.local', 'A')).rcode === 'NXDOMAIN');
});

test('forwarding: other names go to the upstream on 127.0.0.2, the cache answers the repeat until the TTL runs out', async () => {
  const before = upstream.queries;
  const r1 = await udpQuery('fwd.test', 'A');
  assert.deepEqual(data(r1), ['192.0.2.20']);
  assert.ok(!r1.flag_aa);
  assert.equal(upstream.queries, before + 1);
  await udpQuery('FWD.test', 'A');
  assert.equal(upstream.queries, before + 1, 'second query served from the cache');
  await new Promise((r) => setTimeout(r, 1100)); // ttl 1
  await udpQuery('fwd.test', 'A');
  assert.equal(upstream.queries, before + 2, 're-forwarded after the TTL');
  const nx = await udpQuery('missing.test', 'A');
  assert.equal(nx.rcode, 'NXDOMAIN');
});

test('/healthz and /ready', async () => {
  const h = await new ClusterDNS({ client, listen: { host: '127.0.0.1', port: 0 }, upstreams: [], healthListen: { host: '127.0.0.1', port: 0 } });
  const { port: p, healthPort } = await h.start();
  try {
    assert.ok(p > 0);
    await until('ready', () => h.ready());
    const res = await fetch(`http://127.0.0.1:${healthPort}/ready`);
    assert.equal(res.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${healthPort}/other`)).status, 404);
  } finally {
    await h.stop();
  }
});

test('dig on the node: A, SRV, PTR, CNAME, NXDOMAIN, TCP', { skip: DIG ? false : 'dig not installed (apt-get install dnsutils)' }, async () => {
  assert.equal((await dig(['+short', 'web.dnstest.svc.cluster.local'])).trim(), '198.18.130.7');
  assert.equal((await dig(['+short', '+tcp', 'web.dnstest.svc.cluster.local'])).trim(), '198.18.130.7');
  assert.equal((await dig(['+short', 'SRV', '_http._tcp.web.dnstest.svc.cluster.local'])).trim(), '0 100 80 web.dnstest.svc.cluster.local.');
  assert.equal((await dig(['+short', '-x', '198.18.130.7'])).trim(), 'web.dnstest.svc.cluster.local.');
  assert.match(await dig(['ext.dnstest.svc.cluster.local']), /CNAME\s+web\.dnstest\.svc\.cluster\.local\.[\s\S]*A\s+198\.18\.130\.7/);
  assert.match(await dig(['nope.dnstest.svc.cluster.local']), /status: NXDOMAIN[\s\S]*AUTHORITY SECTION:\ncluster\.local\.\s+5\s+IN\s+SOA/);
  const many = await dig(['+ignore', '+noedns', 'many.dnstest.svc.cluster.local']);
  assert.match(many, /flags: qr aa tc/);
});
