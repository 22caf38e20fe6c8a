import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ClusterZone, dashedIP, ipOfReverseName, reverseName } from './cluster-zone.js';

const svc = (name: string, spec: Service['spec'], ns = 'default'): Service => ({ metadata: { name, namespace: ns }, spec });
const slice = (svcName: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = [], addressType = 'IPv4', ns = 'default'): EndpointSlice => ({
  metadata: { name: `${svcName}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
  addressType,
  endpoints,
  ports,
});

const zone = (services: Service[], slices: EndpointSlice[] = [], pods: Pod[] = []) => new ClusterZone({ domain: 'cluster.local', services, slices, pods, serial: 1 });
const values = (z: ClusterZone, name: string, type: string) => z.answer(name, type)!.answers.map((a) => (a as { data: unknown }).data);

test('reverse names round-trip for IPv4 and IPv6; dashed IPs', () => {
  assert.equal(reverseName('10.0.0.1'), '1.0.0.10.in-addr.arpa');
  assert.equal(ipOfReverseName('1.0.0.10.in-addr.arpa.'), '10.0.0.1');
  assert.equal(ipOfReverseName('0.10.in-addr.arpa'), undefined);
  assert.equal(ipOfReverseName('01.0.0.10.in-addr.arpa'), undefined);
  const r6 = reverseName('2001:db8::1');
  assert.equal(r6, '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  assert.equal(ipOfReverseName(r6), '2001:db8::1');
  assert.equal(dashedIP('2001:db8::1'), '2001-db8--1');
});

test('dual-stack ClusterIP Service: A and AAAA, PTR for both', () => {
  const z = zone([svc('web', { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5', 'fd00::5'] })]);
  assert.deepEqual(values(z, 'web.default.svc.cluster.local', 'A'), ['10.96.0.5']);
  assert.deepEqual(values(z, 'web.default.svc.cluster.local.', 'AAAA'), ['fd00::5']);
  assert.deepEqual(values(z, reverseName('fd00::5'), 'PTR'), ['web.default.svc.cluster.local']);
  assert.equal(z.answer(reverseName('10.96.0.99'), 'PTR'), undefined, 'unknown reverse names are not ours');
  assert.equal(z.answer('example.com', 'A'), undefined);
});

test('headless: not-ready endpoints left out unless publishNotReadyAddresses; IPv6 slices give AAAA', () => {
  const eps = [{ addresses: ['10.1.0.1'] }, { addresses: ['10.1.0.2'], conditions: { ready: false } }];
  assert.deepEqual(values(zone([svc('h', { clusterIP: 'None' })], [slice('h', eps)]), 'h.default.svc.cluster.local', 'A'), ['10.1.0.1']);
  assert.deepEqual(values(zone([svc('h', { clusterIP: 'None', publishNotReadyAddresses: true })], [slice('h', eps)]), 'h.default.svc.cluster.local', 'A'), ['10.1.0.1', '10.1.0.2']);
  const z6 = zone([svc('h', { clusterIP: 'None' })], [slice('h', [{ addresses: ['fd00::7'] }], [], 'IPv6')]);
  assert.deepEqual(values(z6, 'h.default.svc.cluster.local', 'AAAA'), ['fd00::7']);
  assert.deepEqual(values(z6, 'fd00--7.h.default.svc.cluster.local', 'AAAA'), ['fd00::7']);
  // slices of another namespace's Service with the same name do not mix in
  const other = zone([svc('h', { clusterIP: 'None' })], [slice('h', [{ addresses: ['10.9.9.9'] }], [], 'IPv4', 'other')]);
  assert.deepEqual(values(other, 'h.default.svc.cluster.local', 'A'), []);
});

test('headless Service with no endpoints exists (NODATA), a headless SRV without endpoints does not', () => {
  const z = zone([svc('h', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] })]);
  const a = z.answer('h.default.svc.cluster.local', 'A')!;
  assert.equal(a.rcode, 'NOERROR');
  assert.equal(a.authorities[0].type, 'SOA');
  assert.equal(z.answer('_x._tcp.h.default.svc.cluster.local', 'SRV')!.rcode, 'NXDOMAIN');
});

test('ExternalName chains: in-zone chased, loops cut, outside names handed back for chasing', () => {
  const z = zone([
    svc('a', { type: 'ExternalName', externalName: 'b.default.svc.cluster.local.' }),
    svc('b', { clusterIP: '10.96.0.2' }),
    svc('l1', { type: 'ExternalName', externalName: 'l2.default.svc.cluster.local' }),
    svc('l2', { type: 'ExternalName', externalName: 'l1.default.svc.cluster.local' }),
    svc('o', { type: 'ExternalName', externalName: 'Example.COM' }),
  ]);
  assert.deepEqual(values(z, 'a.default.svc.cluster.local', 'A'), ['b.default.svc.cluster.local', '10.96.0.2']);
  const loop = z.answer('l1.default.svc.cluster.local', 'A')!;
  assert.ok(loop.answers.length <= 10);
  const o = z.answer('o.default.svc.cluster.local', 'AAAA')!;
  assert.equal(o.chase, 'example.com');
  assert.deepEqual(o.answers.map((x) => x.type), ['CNAME']);
});

test('pod records: any namespace, IPv4 and dashed IPv6; bad addresses are NXDOMAIN', () => {
  const z = zone([]);
  assert.deepEqual(values(z, '10-1-2-3.anything.pod.cluster.local', 'A'), ['10.1.2.3']);
  assert.deepEqual(values(z, 'fd00--1.ns.pod.cluster.local', 'AAAA'), ['fd00::1']);
  assert.equal(z.answer('10-1-2-3.anything.pod.cluster.local', 'AAAA')!.rcode, 'NOERROR');
  for (const bad of ['10-1-2.ns.pod.cluster.local', '10-1-2-300.ns.pod.cluster.local', 'a.b.ns.pod.cluster.local', 'web.pod.cluster.local']) {
    assert.equal(z.answer(bad, 'A')!.rcode, 'NXDOMAIN', bad);
  }
});

test('pod PTR: endpoint hostname beats the pod name; host-network pods get none', () => {
  const pods: Pod[] = [
    { metadata: { name: 'p', namespace: 'ns1' }, status: { podIP: '10.1.0.9', podIPs: [{ ip: '10.1.0.9' }] } },
    { metadata: { name: 'h', namespace: 'ns1' }, spec: { hostNetwork: true, containers: [] }, status: { podIP: '192.0.2.5' } },
  ];
  const z = zone([svc('s', { clusterIP: 'None' }, 'ns1')], [slice('s', [{ addresses: ['10.1.0.9'], hostname: 'p0' }], [], 'IPv4', 'ns1')], pods);
  assert.deepEqual(values(z, '9.0.1.10.in-addr.arpa', 'PTR'), ['p0.s.ns1.svc.cluster.local']);
  assert.equal(z.answer('5.2.0.192.in-addr.arpa', 'PTR'), undefined);
  const z2 = zone([], [], pods);
  assert.deepEqual(values(z2, '9.0.1.10.in-addr.arpa', 'PTR'), ['10-1-0-9.ns1.pod.cluster.local']);
});

test('apex SOA/NS, ns.dns at the kube-dns address, namespaces exist, a custom domain', () => {
  const z = zone([svc('kube-dns', { clusterIP: '10.96.0.10' }, 'kube-system')]);
  assert.deepEqual(values(z, 'ns.dns.cluster.local', 'A'), ['10.96.0.10']);
  assert.equal(z.answer('kube-system.svc.cluster.local', 'A')!.rcode, 'NOERROR');
  assert.equal(z.answer('default.svc.cluster.local', 'A')!.rcode, 'NXDOMAIN');
  assert.equal(z.answer('CLUSTER.local', 'SOA')!.answers[0].type, 'SOA');
  const custom = new ClusterZone({ domain: 'corp.example.', services: [svc('web', { clusterIP: '10.0.0.1' })], slices: [], pods: [] });
  assert.deepEqual(values(custom, 'web.default.svc.corp.example', 'A'), ['10.0.0.1']);
  assert.equal(custom.answer('web.default.svc.cluster.local', 'A'), undefined);
});
