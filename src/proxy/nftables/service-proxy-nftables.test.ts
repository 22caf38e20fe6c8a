// The whole loop on real nftables: ServiceProxy (FakeClient informers) → NftablesBackend, with
// 1,000 Services; an EndpointSlice change → rules in place, measured (root only).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';
import { FakeClient } from '../../client/fake-client.js';
import { ServiceProxy } from '../service-proxy.js';
import { nft } from '../../network/nft-command.js';
import { SKIP_UNLESS_ROOT as skip, testBackend } from './testing.js';

const SERVICES = resourceInfo('', 'v1', 'services');
const SLICES = resourceInfo('discovery.k8s.io', 'v1', 'endpointslices');
const N = 1000;
const ip = (base: number, i: number) => `198.18.${base + (i >> 8)}.${i & 255}`;

const slice = (i: number, ips: string[]): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { namespace: 'bench', name: `s${i}-x`, labels: { 'kubernetes.io/service-name': `s${i}` } },
  ports: [{ port: 8080, protocol: 'TCP', name: '' }],
  endpoints: ips.map((a) => ({ addresses: [a], nodeName: 'n1', conditions: { ready: true } })),
});

/** No interface has it and no test sends to it. */
const UNUSED_ADDRESS = '198.18.189.254';

test(`${N} Services through ServiceProxy + nftables: EndpointSlice change → rules in place`, { skip }, async (t) => {
  const client = new FakeClient();
  for (let i = 0; i < N; i++) {
    await client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'bench', name: `s${i}` }, spec: { type: 'NodePort', clusterIP: ip(168, i), clusterIPs: [ip(168, i)], ports: [{ port: 80, targetPort: 8080, nodePort: 30000 + i }] } });
    await client.create(SLICES, slice(i, [ip(100, i), ip(104, i)]));
  }
  const backend = testBackend(t, { setSysctls: false });
  // node ports on an address no packet goes to: on every local address they would catch other
  // tests' connections to the same ports (127.0.0.1 included) and send them to these made-up endpoints
  const proxy = new ServiceProxy({ client, nodeName: 'n1', backend, serviceCIDRs: ['198.18.168.0/22'], nodeIPs: ['192.0.2.2'], nodePortAddresses: [UNUSED_ADDRESS] });
  t.after(() => proxy.stop());
  let t0 = performance.now();
  proxy.start();
  await proxy.whenApplied();
  t.diagnostic(`start → ${N} Services in place: ${(performance.now() - t0).toFixed(0)} ms (nft ${backend.lastSync?.nftMs.toFixed(0)} ms)`);
  const rounds = 10;
  const latencies: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const i = (k * 97) % N;
    t0 = performance.now();
    await client.update(SLICES, slice(i, [ip(100, i), ip(104, i), `198.18.108.${k}`]));
    await new Promise((r) => setImmediate(r));
    await proxy.whenApplied();
    assert.equal(backend.lastSync?.full, false);
    latencies.push(proxy.stats().lastLatencyMs!);
  }
  const st = proxy.stats();
  latencies.sort((a, b) => a - b);
  t.diagnostic(`EndpointSlice change → rules in place (${rounds} changes, ${N} Services, as measured by ServiceProxy.stats): median ${latencies[rounds >> 1]} ms, max ${latencies[rounds - 1]} ms; last backend sync ${st.lastSyncMs} ms`);
  assert.ok(latencies[rounds - 1]! < 5000, 'each change in place within seconds');
  assert.equal(st.servicePorts, N);
  const chain = await nft(['list', 'chain', 'ip', backend.tag, 'services']);
  assert.match(chain, /vmap @service-ips/);
  const lastK = rounds - 1;
  const svcChain = await nft(['-j', 'list', 'table', 'ip', backend.tag]);
  assert.ok(svcChain.includes(`198.18.108.${lastK}`), 'the last endpoint is in the rules');
});
