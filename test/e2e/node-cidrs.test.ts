// More simulated nodes than the cluster CIDR has pod CIDRs for: the server says so at start, the
// nodes left without one are NotReady with the kubelet's network message and the not-ready
// taint (as Kubernetes' nodes whose network plugin is not ready), and a Deployment's pods all go
// to the nodes that can give them an IP — none is stuck Pending on the others. The same cluster
// checks --simulated-node-capacity and the NodeTaint admission.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { kubectlOk, manifest, startSkiff, waitUntil, type Skiff } from './harness.js';

interface NodeList {
  items: {
    metadata: { name: string };
    spec: { podCIDR?: string; taints?: { key: string; effect: string }[] };
    status: { conditions?: { type: string; status: string; message?: string }[] };
  }[];
}
interface PodList {
  items: { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string; podIP?: string } }[];
}

describe('simulated nodes beyond the cluster CIDR', () => {
  let s: Skiff;
  before(async () => {
    // 198.18.0.0/22 cut into /24s: 4 pod CIDRs for 6 nodes; each node smaller than the default
    s = await startSkiff({ args: ['--storage', 'memory', '--simulated-nodes', '6', '--cluster-cidr', '198.18.0.0/22', '--node-cidr-mask-size', '24', '--simulated-node-capacity', 'cpu=3,memory=6Gi,pods=20'] });
  });
  after(async () => {
    await s?.destroy();
  });
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectlOk(s, [...args, '-o', 'json'])) as T;
  const ready = (n: NodeList['items'][number]) => n.status.conditions?.find((c) => c.type === 'Ready');

  it('warns at start, keeps the nodes without a pod CIDR NotReady and tainted, and schedules only on the others', async () => {
    assert.match(s.output(), /skiff: 6 simulated nodes need 6 pod CIDRs, but --cluster-cidr 198\.18\.0\.0\/22 cut into \/24s \(--node-cidr-mask-size\) has 4: 2 nodes will stay NotReady \(CIDRNotAvailable\)/);
    let nodes: NodeList = { items: [] };
    await waitUntil(
      '4 Ready nodes with a pod CIDR and 2 NotReady ones with the not-ready taint',
      async () => {
        nodes = await json<NodeList>('get', 'nodes');
        const withCidr = nodes.items.filter((n) => n.spec.podCIDR);
        const without = nodes.items.filter((n) => !n.spec.podCIDR);
        return (
          nodes.items.length === 6 &&
          withCidr.length === 4 &&
          withCidr.every((n) => ready(n)?.status === 'True') &&
          without.every((n) => ready(n)?.status === 'False' && n.spec.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoSchedule'))
        );
      },
      { timeoutMs: 30_000, context: () => JSON.stringify(nodes.items.map((n) => [n.metadata.name, n.spec.podCIDR, ready(n)?.status, n.spec.taints])) },
    );
    for (const n of nodes.items.filter((x) => !x.spec.podCIDR)) {
      assert.equal(ready(n)?.message, 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:no pod CIDR assigned to the node yet');
    }

    await kubectlOk(s, ['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=8']);
    await kubectlOk(s, ['rollout', 'status', 'deployment/web', '--timeout=60s'], 90_000);
    const cidrOf = new Map(nodes.items.map((n) => [n.metadata.name, n.spec.podCIDR]));
    const pods = await json<PodList>('get', 'pods', '-l', 'app=web');
    assert.equal(pods.items.length, 8);
    for (const p of pods.items) {
      const cidr = cidrOf.get(p.spec.nodeName ?? '');
      assert.ok(cidr, `${p.metadata.name} is on ${p.spec.nodeName}, a node with a pod CIDR`);
      assert.equal(p.status.phase, 'Running');
      // a /24 of 198.18.0.0/22: the pod's IP shares its first three octets
      assert.equal(p.status.podIP?.split('.').slice(0, 3).join('.'), cidr!.split('.').slice(0, 3).join('.'), `${p.metadata.name}: ${p.status.podIP} in ${cidr}`);
    }
  });

  it('--simulated-node-capacity: every node reports it as capacity and allocatable', async () => {
    const nodes = await json<{ items: { status: { capacity: Record<string, string>; allocatable: Record<string, string> } }[] }>('get', 'nodes');
    assert.equal(nodes.items.length, 6);
    for (const n of nodes.items) {
      for (const r of [n.status.capacity, n.status.allocatable]) assert.deepEqual([r.cpu, r.memory, r.pods], ['3', '6Gi', '20'], JSON.stringify(n.status));
    }
  });

  it('creates a node with the not-ready NoSchedule taint, so a pending pod is not bound to it before it is Ready', async () => {
    // The pod first: pending, waiting for a node called "late". The node then registers as a
    // kubelet registers it, NotReady, with no kubelet behind it to ever report Ready.
    await kubectlOk(s, ['run', 'waits-for-late', '--image=busybox:1.36', '--restart=Never', '--overrides={"spec":{"nodeSelector":{"kubernetes.io/hostname":"late"}}}']);
    const late = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'late', labels: { 'kubernetes.io/hostname': 'late' } },
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'starting' }] },
    };
    // the object as created (the response to the create, before any controller saw it)
    const created = JSON.parse(await kubectlOk(s, ['create', '-o', 'json', '--show-managed-fields', '-f', manifest(s, 'late-node.json', JSON.stringify(late))])) as NodeList['items'][number] & {
      metadata: { managedFields?: { manager: string; fieldsV1?: unknown }[] };
    };
    assert.deepEqual(created.spec.taints, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
    // added by admission after the field manager, as in Kubernetes: the creator does not own it
    const managers = created.metadata.managedFields ?? [];
    assert.deepEqual(managers.map((m) => m.manager), ['kubectl-create']);
    assert.doesNotMatch(JSON.stringify(managers), /f:taints/);
    // the scheduler has seen the node (its add re-queues the pod) and does not bind the pod to it
    await waitUntil('a FailedScheduling event that names the taint', async () =>
      /untolerated taint \{node\.kubernetes\.io\/not-ready: \}/.test(await kubectlOk(s, ['get', 'events', '--field-selector', 'involvedObject.name=waits-for-late,reason=FailedScheduling', '-o', 'jsonpath={.items[*].message}'])),
    );
    const pod = await json<PodList['items'][number]>('get', 'pod', 'waits-for-late');
    assert.equal(pod.spec.nodeName, undefined);
  });
});
