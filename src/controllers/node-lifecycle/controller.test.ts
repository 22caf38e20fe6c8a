// The node lifecycle controller and its taint-based eviction against a FakeClient (a hand-written
// in-memory fake of Client, checked by the client contract suite) with a FakeClock. Simulated
// kubelets renew their Leases every 10 s until a test stops one; time only moves when the test
// moves it, in 1 s steps, so every timing below is exact.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { Harness, makePod } from '../endpoints/testing.js';
import { createNodeLifecycleController, type NodeLifecycleOptions } from './controller.js';
import { LEASES, NODES, PODS } from './reconcile.js';

type NodeObj = Node & KubeObject;
type PodObj = Pod & KubeObject;

const T0 = Date.UTC(2025, 0, 1);
const DEFAULT_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

describe('node lifecycle controller', () => {
  let h: Harness;
  /** nodes whose simulated kubelet renews its Lease */
  let up: Set<string>;

  beforeEach(() => {
    h = new Harness();
    up = new Set();
  });
  afterEach(() => h.stop());

  const iso = (ms: number) => new Date(ms).toISOString();
  const t = () => (h.clock.now() - T0) / 1000;

  const addNode = async (name: string, labels: Record<string, string> = {}) => {
    await h.client.create(NODES, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels },
      spec: {},
      status: { conditions: readyConditions('True', h.clock.now()) },
    });
    await h.client.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, renewTime: iso(h.clock.now()) } });
    up.add(name);
  };
  const readyConditions = (status: string, at: number) => [
    { type: 'Ready', status, reason: status === 'True' ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: iso(at), lastTransitionTime: iso(at) },
    { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: iso(at), lastTransitionTime: iso(at) },
    { type: 'DiskPressure', status: 'False', lastHeartbeatTime: iso(at), lastTransitionTime: iso(at) },
    { type: 'PIDPressure', status: 'False', lastHeartbeatTime: iso(at), lastTransitionTime: iso(at) },
  ];
  /** The kubelet posts its node status (as after a restart or when its readiness changes). */
  const postStatus = async (name: string, ready: string) => {
    const n = await h.client.get<NodeObj>(NODES, undefined, name);
    await h.client.updateStatus(NODES, { ...n, status: { ...n.status, conditions: readyConditions(ready, h.clock.now()) } });
  };
  const renew = async (name: string) => {
    const l = await h.client.get(LEASES, 'kube-node-lease', name);
    await h.client.update(LEASES, { ...l, spec: { ...(l.spec as object), renewTime: iso(h.clock.now()) } });
  };
  /** Moves time to `seconds` after T0 in 1 s steps; kubelets of `up` nodes renew every 10 s. */
  const runUntil = async (seconds: number) => {
    while (t() < seconds) {
      await h.advance(1000);
      if (t() % 10 === 0) for (const n of up) await renew(n);
    }
    await h.settle();
  };
  let podCount = 0;
  const addPod = async (name: string, node: string, tolerations: Toleration[] = DEFAULT_TOLERATIONS) => {
    const p = makePod(name, { ip: `10.42.0.${++podCount + 1}`, node });
    p.spec!.tolerations = tolerations;
    await h.client.create(PODS, p);
  };
  const node = (name: string) => h.client.get<NodeObj>(NODES, undefined, name);
  const taints = async (name: string) => ((await node(name)).spec?.taints ?? []).map((x: Taint) => `${x.key.replace('node.kubernetes.io/', '')}:${x.effect}${x.timeAdded ? `@${(Date.parse(x.timeAdded) - T0) / 1000}s` : ''}`);
  const ready = async (name: string) => (await node(name)).status?.conditions?.find((c) => c.type === 'Ready');
  const pods = async () => (await h.list<PodObj>(PODS)).map((p) => p.metadata?.name).sort();
  const podReady = async (name: string) => (await h.client.get<PodObj>(PODS, 'default', name)).status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const start = (opts: NodeLifecycleOptions = {}) => h.start(createNodeLifecycleController({ nodeMonitorGracePeriodMs: 50_000, nodeMonitorPeriodMs: 5_000, ...opts }));

  test('lease stops: Unknown and tainted after the grace period, pods evicted after their toleration, taint gone when the node is back', async () => {
    await addNode('n1');
    await addNode('n2');
    await addNode('n3');
    await addPod('web-1', 'n1');
    await addPod('bare', 'n1', []);
    await addPod('forever', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    await addPod('patient', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 }]);
    await addPod('web-2', 'n2');
    await start();
    up.delete('n1'); // n1's kubelet stops renewing its Lease (last renewal at 0 s)

    await runUntil(50);
    assert.equal((await ready('n1'))?.status, 'True', 'still within the grace period at 50 s');
    assert.deepEqual(await taints('n1'), []);

    await runUntil(55); // the first monitor pass after 50 s
    const r = await ready('n1');
    assert.equal(r?.status, 'Unknown');
    assert.equal(r?.reason, 'NodeStatusUnknown');
    assert.equal(r?.message, 'Kubelet stopped posting node status.');
    const conditions = (await node('n1')).status?.conditions?.map((c) => `${c.type}=${c.status}`);
    assert.deepEqual(conditions, ['Ready=Unknown', 'MemoryPressure=Unknown', 'DiskPressure=Unknown', 'PIDPressure=Unknown']);
    assert.deepEqual(await taints('n1'), ['unreachable:NoSchedule', 'unreachable:NoExecute@55s']);
    assert.deepEqual(await taints('n2'), [], 'healthy nodes untouched');
    assert.deepEqual(await pods(), ['forever', 'patient', 'web-1', 'web-2'], 'the pod without tolerations is evicted at once');
    assert.equal(await podReady('web-1'), 'False', 'pods of the unreachable node are marked not ready');
    assert.equal(await podReady('web-2'), 'True');

    const events = await h.events();
    assert.ok(events.some((e) => e.object === 'Pod/default/bare' && e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod default/bare'));
    assert.ok(events.some((e) => e.object === 'Node/n1' && e.reason === 'NodeNotReady' && e.message === 'Node n1 status is now: NodeNotReady'));
    assert.ok(events.some((e) => e.object === 'Node/n1' && e.reason === 'RegisteredNode'));

    await runUntil(354);
    assert.deepEqual(await pods(), ['forever', 'patient', 'web-1', 'web-2'], 'toleration not yet run out at 354 s');
    await runUntil(355);
    assert.deepEqual(await pods(), ['forever', 'patient', 'web-2'], 'web-1 evicted 300 s after the taint was added');
    const evicted = (await h.events()).filter((e) => e.reason === 'TaintManagerEviction').map((e) => e.message);
    assert.deepEqual(evicted.sort(), ['Marking for deletion Pod default/bare', 'Marking for deletion Pod default/web-1']);

    // The kubelet comes back: renews its Lease and posts Ready.
    await runUntil(400);
    up.add('n1');
    await renew('n1');
    await postStatus('n1', 'True');
    await h.settle();
    assert.deepEqual(await taints('n1'), []);
    assert.equal((await ready('n1'))?.status, 'True');
    const cancelled = (await h.events()).filter((e) => e.message === 'Cancelling deletion of Pod default/patient');
    assert.equal(cancelled.length, 1, 'the pending eviction of patient is cancelled');
    await runUntil(700);
    assert.deepEqual(await pods(), ['forever', 'patient', 'web-2'], 'nothing evicted after the node came back');
  });

  test('a node that reports Ready=False gets the not-ready taints; silence then swaps them for unreachable', async () => {
    await addNode('n1');
    await addNode('n2');
    await start();
    await runUntil(10);
    await postStatus('n1', 'False');
    await runUntil(11);
    assert.deepEqual(await taints('n1'), ['not-ready:NoSchedule', 'not-ready:NoExecute@10s']);

    up.delete('n1');
    await runUntil(70);
    assert.equal((await ready('n1'))?.status, 'Unknown');
    assert.deepEqual(await taints('n1'), ['unreachable:NoSchedule', 'unreachable:NoExecute@65s']);
  });

  test('NoExecute taints are added at most one per 10 s per zone', async () => {
    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) await addNode(n);
    await start();
    up.delete('n1');
    up.delete('n2');
    await runUntil(55);
    const tainted = async () => {
      const out: string[] = [];
      for (const n of ['n1', 'n2']) if ((await taints(n)).some((x) => x.includes('NoExecute'))) out.push(n);
      return out;
    };
    assert.equal((await ready('n2'))?.status, 'Unknown');
    assert.equal((await tainted()).length, 1, 'one node tainted at once');
    await runUntil(64);
    assert.equal((await tainted()).length, 1);
    await runUntil(65);
    assert.deepEqual(await tainted(), ['n1', 'n2'], 'the second 10 s later');
  });

  test('when no node is Ready, nothing is evicted (full disruption); evictions resume once one is back', async () => {
    await addNode('n1');
    await addNode('n2');
    await addPod('web-1', 'n1', []);
    await start();
    up.clear();
    await runUntil(60);
    assert.equal((await ready('n1'))?.status, 'Unknown');
    assert.equal((await ready('n2'))?.status, 'Unknown');
    assert.deepEqual(await taints('n1'), ['unreachable:NoSchedule'], 'no NoExecute taint');
    assert.deepEqual(await pods(), ['web-1']);

    up.add('n2');
    await renew('n2');
    await postStatus('n2', 'True');
    await runUntil(64);
    assert.deepEqual(await taints('n1'), ['unreachable:NoSchedule'], 'until the next monitor pass');
    await runUntil(65);
    assert.deepEqual(await taints('n1'), ['unreachable:NoSchedule', 'unreachable:NoExecute@65s']);
    assert.deepEqual(await pods(), []);
  });

  test('a registered node whose kubelet never posts status is Unknown after the startup grace period', async () => {
    await addNode('n1');
    await h.client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'silent' } });
    await start();
    await runUntil(60);
    assert.equal(await ready('silent'), undefined);
    await runUntil(65);
    const r = await ready('silent');
    assert.equal(r?.status, 'Unknown');
    assert.equal(r?.reason, 'NodeStatusNeverUpdated');
    assert.equal(r?.message, 'Kubelet never posted node status.');
  });

  test('cordoning adds the unschedulable taint; uncordoning removes it', async () => {
    await addNode('n1');
    await start();
    const n = await node('n1');
    await h.client.update(NODES, { ...n, spec: { ...n.spec, unschedulable: true } });
    await h.settle();
    assert.deepEqual(await taints('n1'), ['unschedulable:NoSchedule']);
    const m = await node('n1');
    await h.client.update(NODES, { ...m, spec: { ...m.spec, unschedulable: false } });
    await h.settle();
    assert.deepEqual(await taints('n1'), []);
  });

  test('a pod bound later to a tainted node is evicted by its toleration too', async () => {
    await addNode('n1');
    await addNode('n2');
    await addNode('n3');
    await start();
    up.delete('n1');
    await runUntil(55);
    assert.deepEqual(await taints('n1'), ['unreachable:NoSchedule', 'unreachable:NoExecute@55s']);
    await runUntil(100);
    await addPod('late', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }]);
    await runUntil(114);
    assert.deepEqual(await pods(), ['late'], 'its toleration counts from the taint (55 s): due at 115 s');
    await runUntil(115);
    assert.deepEqual(await pods(), []);
  });
});
