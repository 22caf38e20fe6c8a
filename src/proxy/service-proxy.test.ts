import { strict as assert } from 'node:assert';
import { test, type TestContext } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from '../client/client.js';
import { FakeClient } from '../client/fake-client.js';
import type { ProxyBackend, ProxyState } from './model.js';
import { ConntrackCleaner } from './conntrack.js';
import { ServiceProxy, type ServiceProxyOptions } from './service-proxy.js';

const SERVICES = resourceInfo('', 'v1', 'services');
const SLICES = resourceInfo('discovery.k8s.io', 'v1', 'endpointslices');
const NODES = resourceInfo('', 'v1', 'nodes');

/** A backend that records every state; `failNext` makes the next syncs throw; `delayMs` slows syncs. */
class RecordingBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  states: ProxyState[] = [];
  active = 0;
  maxActive = 0;
  failNext = 0;
  delayMs = 0;
  cleanups = 0;
  async sync(state: ProxyState): Promise<void> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('nft: injected failure');
      }
      this.states.push(state);
    } finally {
      this.active--;
    }
  }
  async cleanup(): Promise<void> {
    this.cleanups++;
  }
  get last(): ProxyState | undefined {
    return this.states[this.states.length - 1];
  }
}

const service = (name: string, ip: string, extra: Partial<Service['spec']> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name },
  spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: [{ port: 80, targetPort: 8080 }], ...extra },
});
const slice = (svc: string, ips: string[], name = `${svc}-x`): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { namespace: 'default', name, labels: { 'kubernetes.io/service-name': svc } },
  ports: [{ port: 8080, protocol: 'TCP', name: '' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: 'n1', conditions: { ready: true } })),
} satisfies EndpointSlice as unknown as KubeObject);

function proxy(t: TestContext, client: FakeClient, backend: ProxyBackend, extra: Partial<ServiceProxyOptions> = {}): ServiceProxy {
  const p = new ServiceProxy({ client, nodeName: 'n1', backend, serviceCIDRs: ['198.18.160.0/24'], nodeIPs: ['192.0.2.2'], minSyncIntervalMs: 20, ...extra });
  t.after(() => p.stop());
  return p;
}

test('first sync after the informers listed, with the whole state; later changes follow', async (t) => {
  const client = new FakeClient();
  await client.create(SERVICES, service('web', '198.18.160.10'));
  await client.create(SLICES, slice('web', ['198.18.96.2']));
  const backend = new RecordingBackend();
  const p = proxy(t, client, backend);
  p.start();
  await p.whenApplied();
  assert.equal(backend.states.length, 1);
  assert.deepEqual(backend.last!.services.map((s) => [s.key, s.endpoints.map((e) => e.ip)]), [['default/web:', ['198.18.96.2']]]);
  assert.deepEqual(backend.last!.nodeIPs, ['192.0.2.2']);

  await client.update(SLICES, slice('web', ['198.18.96.2', '198.18.96.3']));
  await client.create(SERVICES, service('api', '198.18.160.11'));
  await new Promise((r) => setTimeout(r, 5));
  await p.whenApplied();
  assert.deepEqual(backend.last!.services.map((s) => [s.key, s.endpoints.length]), [['default/api:', 0], ['default/web:', 2]]);
  const st = p.stats();
  assert.ok(st.syncs >= 2 && st.failures === 0);
  assert.ok(st.lastLatencyMs !== undefined && st.latency.count === st.syncs);
  assert.equal(st.histogram.reduce((a, b) => a + b, 0), st.syncs);
});

test('a burst of changes is coalesced, syncs are never concurrent and at most one per interval', async (t) => {
  const client = new FakeClient();
  const backend = new RecordingBackend();
  backend.delayMs = 30;
  const p = proxy(t, client, backend, { minSyncIntervalMs: 50 });
  p.start();
  await p.whenApplied();
  const before = backend.states.length;
  const t0 = Date.now();
  for (let i = 0; i < 40; i++) await client.create(SERVICES, service(`s${i}`, `198.18.160.${20 + i}`));
  await new Promise((r) => setTimeout(r, 5));
  await p.whenApplied();
  const elapsed = Date.now() - t0;
  const syncs = backend.states.length - before;
  assert.ok(syncs >= 1 && syncs <= 2 + elapsed / 50, `${syncs} syncs for 40 changes in ${elapsed} ms`);
  assert.equal(backend.maxActive, 1, 'never concurrent');
  assert.equal(backend.last!.services.length, 40);
});

test('a failed sync is retried with backoff until it succeeds; an unchanged state is not sent again', async (t) => {
  const client = new FakeClient();
  await client.create(SERVICES, service('web', '198.18.160.10'));
  const backend = new RecordingBackend();
  backend.failNext = 2;
  const logs: string[] = [];
  const p = proxy(t, client, backend, { log: (l) => logs.push(l), retryInitialMs: 20 });
  p.start();
  await p.whenApplied();
  assert.equal(backend.states.length, 1);
  assert.equal(p.stats().failures, 2);
  assert.match(logs.join('\n'), /nftables sync failed \(nft: injected failure\); retrying/);
  // a no-op update (same content): no backend call
  const cur = (await client.get(SERVICES, 'default', 'web')) as KubeObject;
  await client.update(SERVICES, { ...cur, metadata: { ...cur.metadata, labels: { touched: 'yes' } } });
  await new Promise((r) => setTimeout(r, 5));
  await p.whenApplied();
  assert.equal(backend.states.length, 1);
  assert.equal(p.stats().unchanged, 1);
});

test('node IPs come from the Node when not given; stop() keeps the rules, cleanup() removes them', async (t) => {
  const client = new FakeClient();
  await client.create(NODES, {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' },
    status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '192.0.2.7' }, { type: 'InternalIP', address: 'fd00::7' }] },
  });
  await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.8' }] } });
  const backend = new RecordingBackend();
  const p = proxy(t, client, backend, { nodeIPs: undefined });
  p.start();
  await p.whenApplied();
  assert.deepEqual(backend.last!.nodeIPs, ['192.0.2.7']);
  await p.stop();
  assert.equal(backend.cleanups, 0);
  await p.cleanup();
  assert.equal(backend.cleanups, 1);
});

test('conntrack: after each applied sync the UDP flows it left stale are cleared (the endpoint replaced), none after a failed one', async (t) => {
  const client = new FakeClient();
  const udp = (ips: string[]) => ({ ...slice('dns', ips), ports: [{ port: 5353, protocol: 'UDP', name: '' }] }) as KubeObject;
  await client.create(SERVICES, service('dns', '198.18.160.53', { ports: [{ port: 53, protocol: 'UDP', targetPort: 5353 }] }));
  await client.create(SLICES, udp(['198.18.96.2']));
  const backend = new RecordingBackend();
  const runs: string[][] = [];
  const conntrack = new ConntrackCleaner({ run: async (args) => (runs.push([...args]), { code: 0, stderr: '' }) });
  const p = proxy(t, client, backend, { conntrack, retryInitialMs: 10 });
  p.start();
  await p.whenApplied();
  // the first sync: the port serves, so flows that were not DNATed (made before it did) go
  assert.deepEqual(runs, [['-D', '-p', 'udp', '--orig-dst', '198.18.160.53', '--orig-port-dst', '53', '--reply-src', '198.18.160.53']]);
  runs.length = 0;
  backend.failNext = 1;
  await client.update(SLICES, udp(['198.18.96.3']));
  await new Promise((r) => setTimeout(r, 5));
  await p.whenApplied();
  assert.equal(backend.last!.services[0]!.endpoints[0]!.ip, '198.18.96.3');
  assert.deepEqual(runs, [['-D', '-p', 'udp', '--orig-dst', '198.18.160.53', '--orig-port-dst', '53', '--dst-nat', '198.18.96.2']], 'once, after the retry applied it');
});
