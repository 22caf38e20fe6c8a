// Test-only: one behavioural suite every ProxyBackend passes (iptables and userspace here; the
// nftables mode can run it too). Real pods on a test bridge (backend-test-pods.ts), a hand-built
// ProxyState, real traffic from the node and from a pod. Registers one node:test test with subtests.
import { strict as assert } from 'node:assert';
import { test, type TestContext } from 'node:test';
import type { ProxyBackend, ProxyEndpoint, ProxyServicePort, ProxyState } from './model.js';
import {
  countAnswers,
  countAnswersFromPod,
  httpGet,
  randomNodePort,
  SKIP_UNLESS_ROOT,
  startTestPods,
  tcpOutcome,
  testTag,
  wgetOutcomeFromPod,
  type TestPods,
} from './backend-test-pods.js';

export const HTTP_PORT = 8080;

export interface ConformanceOptions {
  readonly mode: string;
  /** pods' CIDR (a /24 inside the caller's test range) */
  readonly podCIDR: string;
  /** the service CIDR (a /24); cluster IPs are its .10, .11, … */
  readonly serviceCIDR: string;
  readonly create: (tag: string) => ProxyBackend;
  /** what of the backend `tag` is still on the machine (empty when clean) */
  readonly leftovers: (tag: string) => Promise<string[]>;
  /** backend-specific subtests, run before cleanup with the same pods and backend */
  readonly extra?: (ctx: ConformanceContext) => Promise<void>;
}

export interface ConformanceContext {
  readonly t: TestContext;
  readonly tag: string;
  readonly backend: ProxyBackend;
  readonly pods: TestPods;
  /** the nth address of the service CIDR */
  readonly vip: (n: number) => string;
  readonly state: (services: ProxyServicePort[]) => ProxyState;
}

/** A service port as the ServiceProxy would build it. */
export function servicePort(
  name: string,
  fields: Partial<ProxyServicePort> & { clusterIPs: string[]; port: number; endpoints?: ProxyEndpoint[] },
): ProxyServicePort {
  return {
    key: `default/${name}:`,
    namespace: 'default',
    name,
    portName: '',
    protocol: 'TCP',
    loadBalancerIPs: [],
    externalIPs: [],
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    endpoints: [],
    ...fields,
  };
}

export function endpoint(ip: string, port: number, fields: Partial<ProxyEndpoint> = {}): ProxyEndpoint {
  return { ip, port, ready: true, local: true, ...fields };
}

/** pick() until it gives something else than `taken`. */
function otherThan(taken: number, pick: () => number): number {
  for (;;) {
    const n = pick();
    if (n !== taken) return n;
  }
}

export function proxyBackendConformance(opts: ConformanceOptions): void {
  test(`${opts.mode} backend: ClusterIP, affinity, NodePort, LoadBalancer, rejects and cleanup with real pods`, { skip: SKIP_UNLESS_ROOT }, async (t) => {
    // the rules go before the pods (after-hooks run in the order they were added): rules left
    // pointing at removed pods would send a concurrent test's traffic to the same node port out
    // of the machine
    const tag = testTag();
    const backend = opts.create(tag);
    t.after(() => backend.cleanup());
    const pods = await startTestPods(t, { cidr: opts.podCIDR, names: ['a', 'b', 'client'], serve: ['a', 'b'], httpPort: HTTP_PORT });
    const base = opts.serviceCIDR.split('/')[0]!.split('.').slice(0, 3).join('.');
    const vip = (n: number) => `${base}.${n}`;
    const state = (services: ProxyServicePort[]): ProxyState => ({
      services: [...services].sort((x, y) => (x.key < y.key ? -1 : 1)),
      serviceCIDRs: [opts.serviceCIDR],
      nodeIPs: [pods.gateway],
    });
    const a = pods.pods.a!;
    const b = pods.pods.b!;
    const client = pods.pods.client!;
    const nodePort = randomNodePort(opts.mode);
    const lbPort = 20000 + Math.floor(Math.random() * 5000);
    const web = servicePort('web', { clusterIPs: [vip(10)], port: 80, nodePort, endpoints: [endpoint(a.ip, HTTP_PORT), endpoint(b.ip, HTTP_PORT)] });
    const sticky = servicePort('sticky', {
      clusterIPs: [vip(11)],
      port: 80,
      sessionAffinity: { timeoutSeconds: 60 },
      endpoints: [endpoint(a.ip, HTTP_PORT), endpoint(b.ip, HTTP_PORT)],
    });
    const empty = servicePort('empty', { clusterIPs: [vip(12)], port: 80, endpoints: [endpoint(a.ip, HTTP_PORT, { ready: false })] });
    const lb = servicePort('lb', {
      clusterIPs: [vip(13)],
      port: lbPort,
      nodePort: otherThan(nodePort, () => randomNodePort(opts.mode)),
      loadBalancerIPs: [pods.gateway],
      endpoints: [endpoint(a.ip, HTTP_PORT), endpoint(b.ip, HTTP_PORT)],
    });
    const all = [web, sticky, empty, lb];
    const t0 = performance.now();
    await backend.sync(state(all));
    t.diagnostic(`${opts.mode}: first sync of ${all.length} services ${(performance.now() - t0).toFixed(1)} ms`);

    await t.test('ClusterIP from the node reaches both endpoints over 30 connections', async () => {
      const counts = await countAnswers(`http://${vip(10)}/`, 30);
      assert.deepEqual(Object.keys(counts).sort(), ['a', 'b'], JSON.stringify(counts));
    });
    await t.test('ClusterIP from a pod reaches both endpoints over 30 connections', async () => {
      const counts = await countAnswersFromPod(client, `http://${vip(10)}/`, 30);
      assert.deepEqual(Object.keys(counts).sort(), ['a', 'b'], JSON.stringify(counts));
    });
    await t.test('ClientIP affinity keeps one endpoint over 15 requests (node and pod)', async () => {
      const counts = await countAnswers(`http://${vip(11)}/`, 15);
      assert.equal(Object.keys(counts).length, 1, JSON.stringify(counts));
      const fromPod = await countAnswersFromPod(client, `http://${vip(11)}/`, 15);
      assert.equal(Object.keys(fromPod).length, 1, JSON.stringify(fromPod));
    });
    await t.test('a Service without ready endpoints refuses at once', async () => {
      const r = await tcpOutcome(vip(12), 80);
      assert.ok(['ECONNREFUSED', 'closed', 'ECONNRESET'].includes(r.outcome), `outcome ${r.outcome}`);
      assert.ok(r.ms < 1000, `took ${r.ms} ms`);
      const p = await wgetOutcomeFromPod(client, `http://${vip(12)}/`);
      assert.ok(!p.ok && p.ms < 1500, `from the pod: ${JSON.stringify(p)}`);
    });
    await t.test('another address or port in the service CIDR is refused or unreachable at once', async () => {
      for (const [host, port] of [[vip(99), 80], [vip(10), 81]] as const) {
        const r = await tcpOutcome(host, port);
        assert.ok(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'closed'].includes(r.outcome), `${host}:${port} outcome ${r.outcome}`);
        assert.ok(r.ms < 1000, `${host}:${port} took ${r.ms} ms`);
      }
      const p = await wgetOutcomeFromPod(client, `http://${vip(99)}/`);
      assert.ok(!p.ok && p.ms < 1500, `from the pod: ${JSON.stringify(p)}`);
    });
    await t.test('NodePort on 127.0.0.1 and on the node address reaches the endpoints', async () => {
      const counts = await countAnswers(`http://127.0.0.1:${nodePort}/`, 20);
      assert.deepEqual(Object.keys(counts).sort(), ['a', 'b'], JSON.stringify(counts));
      assert.match(await httpGet(`http://${pods.gateway}:${nodePort}/`), /^[ab]$/);
      const fromPod = await countAnswersFromPod(client, `http://${pods.gateway}:${nodePort}/`, 10);
      assert.ok(Object.keys(fromPod).every((k) => k === 'a' || k === 'b') && Object.keys(fromPod).length > 0, JSON.stringify(fromPod));
    });
    await t.test('LoadBalancer ingress (a node address) on the service port, also at 127.0.0.1', async () => {
      assert.match(await httpGet(`http://127.0.0.1:${lbPort}/`), /^[ab]$/);
      assert.match(await httpGet(`http://${pods.gateway}:${lbPort}/`), /^[ab]$/);
    });
    await t.test('an endpoint change takes effect at the next sync', async () => {
      const onlyB = { ...web, endpoints: [endpoint(b.ip, HTTP_PORT)] };
      const t1 = performance.now();
      await backend.sync(state([onlyB, sticky, empty, lb]));
      t.diagnostic(`${opts.mode}: endpoint change sync ${(performance.now() - t1).toFixed(1)} ms`);
      assert.deepEqual(await countAnswers(`http://${vip(10)}/`, 10), { b: 10 });
      const emptied = { ...web, endpoints: [] };
      await backend.sync(state([emptied, sticky, empty, lb]));
      const r = await tcpOutcome(vip(10), 80);
      assert.ok(['ECONNREFUSED', 'closed', 'ECONNRESET'].includes(r.outcome) && r.ms < 1000, JSON.stringify(r));
      await backend.sync(state(all));
      const counts = await countAnswers(`http://${vip(10)}/`, 30);
      assert.deepEqual(Object.keys(counts).sort(), ['a', 'b'], JSON.stringify(counts));
    });
    await t.test('a removed Service stops answering', async () => {
      await backend.sync(state([web, sticky, empty]));
      const r = await tcpOutcome(vip(13), lbPort);
      assert.ok(r.outcome !== 'connected', JSON.stringify(r));
      assert.ok((await tcpOutcome('127.0.0.1', lbPort)).outcome !== 'connected');
      await backend.sync(state(all));
    });
    if (opts.extra) await opts.extra({ t, tag, backend, pods, vip, state });
    await t.test('cleanup leaves nothing of the tag', async () => {
      await backend.cleanup();
      assert.deepEqual(await opts.leftovers(tag), []);
      await backend.cleanup(); // idempotent
      // (no traffic to the VIPs now: without rules it would follow the default route off the node)
    });
  });
}
