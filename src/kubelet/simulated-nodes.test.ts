// Many simulated nodes in one process against FakeClient on a FakeClock: they register, share one
// pods watch and one nodes watch, run the pods bound to them with IPs of their own pod CIDRs, renew
// their Leases in slots, and one of them can play dead. Plus a scale check: 1,000 nodes × 10 pods.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from '../client/client.js';
import { FakeClient } from '../client/fake-client.js';
import { FakeClock } from '../client/fake-clock.js';
import { SharedInformerFactory } from '../client/shared-informers.js';
import type { SimulatedNodes } from './simulated-nodes.js';
import { SIMULATED_NODE_LABEL, parseNodeCapacity, startSimulatedNodes } from './simulated-nodes.js';

const PODS = resourceInfo('', 'v1', 'pods');
const NODES = resourceInfo('', 'v1', 'nodes');
const LEASES = resourceInfo('coordination.k8s.io', 'v1', 'leases');

type PodObject = Pod & KubeObject;

const pod = (name: string, node: string): PodObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx' }] },
});

describe('startSimulatedNodes', () => {
  let clock: FakeClock;
  let client: FakeClient;
  let nodes: SimulatedNodes | undefined;

  const until = async (what: string, pred: () => Promise<boolean>, rounds = 200) => {
    for (let i = 0; i < rounds; i++) {
      if (await pred()) return;
      await clock.advance(0);
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  beforeEach(() => {
    clock = new FakeClock();
    client = new FakeClient({ clock });
    nodes = undefined;
  });

  afterEach(async () => {
    await nodes?.stop();
    assert.equal(client.watchCount(), 0, 'no watch left open');
    assert.equal(clock.pending(), 0, 'no timer left pending');
  });

  test('registers N nodes sharing one pods watch and one nodes watch, and runs their pods', async () => {
    nodes = await startSimulatedNodes({ client, count: 3, clock, podCIDR: (i) => `10.42.${i}.0/24`, capacity: { cpu: '4', memory: '8Gi', pods: '20' } });
    const list = (await client.list<Node & KubeObject>(NODES, undefined)).items;
    assert.deepEqual(list.map((n) => n.metadata?.name), ['sim-0', 'sim-1', 'sim-2']);
    assert.deepEqual(list.map((n) => n.status?.addresses?.[0]?.address), ['198.19.0.1', '198.19.0.2', '198.19.0.3']);
    assert.equal(list[0]!.metadata?.labels?.[SIMULATED_NODE_LABEL], 'true');
    assert.deepEqual(list[0]!.status?.capacity, { cpu: '4', memory: '8Gi', pods: '20' });
    assert.equal(list[0]!.status?.nodeInfo?.containerRuntimeVersion, 'simulated://0.1');
    assert.equal(client.watchCount(), 2);

    for (const [i, n] of ['sim-0', 'sim-1', 'sim-2', 'sim-1'].entries()) await client.create(PODS, pod(`p${i}`, n));
    const ips = async () => (await client.list<PodObject>(PODS, 'default')).items.map((p) => `${p.metadata?.name} ${p.status?.phase} ${p.status?.podIP}`);
    await until('every pod runs', async () => (await ips()).every((l) => l.includes('Running')));
    assert.deepEqual(await ips(), ['p0 Running 10.42.0.2', 'p1 Running 10.42.1.2', 'p2 Running 10.42.2.2', 'p3 Running 10.42.1.3']);
    assert.equal(nodes.runtimes.get('sim-1')?.counts().containers, 2);
  });

  test('a pod created unbound reaches its kubelet when bound (the shared informer sees every pod); an unbound pod is left alone', async () => {
    nodes = await startSimulatedNodes({ client, count: 2, clock, podCIDR: (i) => `10.42.${i}.0/24`, recordEvents: false });
    const unbound = (name: string): PodObject => ({ ...pod(name, ''), spec: { containers: [{ name: 'app', image: 'nginx' }] } });
    await client.create(PODS, unbound('later'));
    await client.create(PODS, unbound('never'));
    await clock.advance(0);
    await client.bind('default', 'later', 'sim-1');
    await until('the bound pod runs', async () => (await client.get<PodObject>(PODS, 'default', 'later')).status?.phase === 'Running');
    assert.equal((await client.get<PodObject>(PODS, 'default', 'later')).status?.podIP, '10.42.1.2');
    assert.equal((await client.get<PodObject>(PODS, 'default', 'never')).status?.phase, undefined);
    assert.deepEqual([...nodes.runtimes.values()].map((r) => r.counts().containers), [0, 1]);
  });

  test('pods bound before the nodes start are picked up, also from an informer that synced long before', async () => {
    await client.create(PODS, pod('early', 'sim-0'));
    const informers = new SharedInformerFactory({ client, clock });
    const stopInformers = new AbortController();
    informers.forResource(PODS);
    informers.start(stopInformers.signal);
    await informers.waitForSync();
    nodes = await startSimulatedNodes({ client, count: 1, clock, informers, podCIDR: () => '10.42.0.0/24', recordEvents: false });
    assert.equal(client.watchCount(), 2, 'the shared pods informer and the nodes informer it added');
    await until('the early pod runs', async () => (await client.get<PodObject>(PODS, 'default', 'early')).status?.phase === 'Running');
    await nodes.stop();
    nodes = undefined;
    stopInformers.abort();
    informers.stop();
    await clock.advance(0);
  });

  test('leases are renewed in slots, and a node annotated simulate-down stops renewing until the annotation goes', async () => {
    nodes = await startSimulatedNodes({ client, count: 20, clock, recordEvents: false });
    const renewTimes = async () => (await client.list<Lease & KubeObject>(LEASES, 'kube-node-lease')).items.map((l) => l.spec?.renewTime ?? '');
    await clock.advance(1_000);
    assert.equal((await renewTimes()).filter((t) => t.startsWith('2025-01-01T00:00:01')).length, 2, 'one slot of 2 nodes renewed after 1 s');
    await clock.advance(9_000);
    assert.ok((await renewTimes()).every((t) => t > '2025-01-01T00:00:00.000000Z'), 'every node renewed within 10 s');

    const down = await client.get<KubeObject>(NODES, undefined, 'sim-7');
    down.metadata!.annotations = { 'skiff.io/simulate-down': 'true' };
    await client.update(NODES, down);
    await clock.advance(0);
    const before = (await client.get<Lease & KubeObject>(LEASES, 'kube-node-lease', 'sim-7')).spec?.renewTime;
    await clock.advance(60_000);
    assert.equal((await client.get<Lease & KubeObject>(LEASES, 'kube-node-lease', 'sim-7')).spec?.renewTime, before);
    assert.equal((await client.get<Lease & KubeObject>(LEASES, 'kube-node-lease', 'sim-8')).spec?.renewTime?.startsWith('2025-01-01T00:01:'), true);

    const back = await client.get<KubeObject>(NODES, undefined, 'sim-7');
    back.metadata!.annotations = {};
    await client.update(NODES, back);
    await until('sim-7 renews again', async () => (await client.get<Lease & KubeObject>(LEASES, 'kube-node-lease', 'sim-7')).spec?.renewTime !== before);
  });

  // 1,000 nodes × 10 pods costs about 1.5 s of the kubelets' CPU but 8 s of FakeClient's deep
  // copies; the folder's time budget gets 2 pods per node unless SKIFF_KUBELET_SCALE=1.
  const perNode = process.env.SKIFF_KUBELET_SCALE === '1' ? 10 : 2;
  test(`scales to 1,000 nodes × ${perNode} pods in one process`, async () => {
    nodes = await startSimulatedNodes({ client, count: 1000, clock, podCIDR: (i) => `10.${42 + (i >> 8)}.${i & 255}.0/24`, recordEvents: false });
    const total = 1000 * perNode;
    for (let i = 0; i < total; i++) await client.create(PODS, pod(`p${i}`, `sim-${i % 1000}`));
    const runningContainers = () => [...nodes!.runtimes.values()].reduce((n, r) => n + r.counts().containers, 0);
    await until('every container runs', async () => runningContainers() === total, 1000);
    await clock.advance(0);
    const pods = (await client.list<PodObject>(PODS, 'default')).items;
    assert.equal(pods.filter((p) => p.status?.phase === 'Running').length, total);
    assert.ok(nodes.kubelets.every((k) => k.podCount() === perNode));
    await clock.advance(10_000);
    const leases = (await client.list<Lease & KubeObject>(LEASES, 'kube-node-lease')).items;
    assert.equal(leases.length, 1000);
    assert.ok(leases.every((l) => l.spec?.renewTime === '2025-01-01T00:00:10.000000Z' || l.spec?.renewTime! > '2025-01-01T00:00:00.000000Z'));
    assert.equal(client.watchCount(), 2);
  });
});

test('parseNodeCapacity: NAME=QUANTITY pairs on top of the simulated defaults', () => {
  assert.deepEqual(parseNodeCapacity('cpu=16, memory=64Gi'), { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi' });
  assert.deepEqual(parseNodeCapacity(''), { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' });
  assert.throws(() => parseNodeCapacity('cpu'), /expected NAME=QUANTITY such as cpu=32 or memory=256Gi, got "cpu"/);
  assert.throws(() => parseNodeCapacity('memory=lots'), /got "memory=lots"/);
});
