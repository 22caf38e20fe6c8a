// The kubelet against FakeClient (the in-memory Client that passes the client contract) and the
// simulated runtime, on a FakeClock: node registration, Lease renewal and simulate-down, pods going
// Pending → Running → Ready, init containers, simulated exits under each restartPolicy with
// CrashLoopBackOff, graceful deletion. Assertions are on what the API and the runtime hold.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from '../client/client.js';
import { FakeClient } from '../client/fake-client.js';
import { FakeClock, settle } from '../client/fake-clock.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { Kubelet, NODE_STATUS_REPORT_MS, type KubeletOptions } from './kubelet.js';
import type { MachineInfo } from './node-status.js';

const PODS = resourceInfo('', 'v1', 'pods');
const NODES = resourceInfo('', 'v1', 'nodes');
const LEASES = resourceInfo('coordination.k8s.io', 'v1', 'leases');
const EVENTS = resourceInfo('', 'v1', 'events');

const MACHINE: MachineInfo = {
  osImage: 'Skiff Simulated Linux',
  kernelVersion: '6.1.0-simulated',
  architecture: 'amd64',
  operatingSystem: 'linux',
  machineID: 'm',
  systemUUID: 'u',
  bootID: 'b',
};

type PodObject = Pod & KubeObject;

function podSpec(name: string, extra: { annotations?: Record<string, string>; restartPolicy?: string; readinessDelay?: number; init?: string[]; node?: string; grace?: number } = {}): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations: extra.annotations ?? {} },
    spec: {
      nodeName: extra.node ?? 'node-1',
      restartPolicy: (extra.restartPolicy ?? 'Always') as 'Always',
      ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}),
      ...(extra.init ? { initContainers: extra.init.map((n) => ({ name: n, image: 'busybox:1.36' })) } : {}),
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          ...(extra.readinessDelay !== undefined ? { readinessProbe: { initialDelaySeconds: extra.readinessDelay, exec: { command: ['true'] } } } : {}),
        },
      ],
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

describe('Kubelet', () => {
  let clock: FakeClock;
  let client: FakeClient;
  let runtime: SimulatedRuntime;
  let kubelet: Kubelet;
  let ac: AbortController;
  let logs: string[];

  const start = async (opts: Partial<KubeletOptions> = {}) => {
    kubelet = new Kubelet({ client, runtime, nodeName: 'node-1', clock, nodeIP: '198.18.0.10', machine: MACHINE, podCIDR: '10.42.1.0/24', log: (l) => logs.push(l), ...opts });
    await kubelet.start(ac.signal);
    await settle();
  };
  const getPod = (name: string) => client.get<PodObject>(PODS, 'default', name);
  const getNode = () => client.get<Node & KubeObject>(NODES, undefined, 'node-1');
  const getLease = () => client.get<Lease & KubeObject>(LEASES, 'kube-node-lease', 'node-1');
  /** Lets async work (and timers already due) run until `pred` holds; no time passes. */
  const until = async (what: string, pred: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 100; i++) {
      if (await pred()) return;
      await clock.advance(0);
    }
    assert.fail(`timed out waiting for ${what}; logs:\n${logs.join('\n')}`);
  };
  const events = async () => (await client.list<Event & KubeObject>(EVENTS, 'default')).items.map((e) => `${e.reason}: ${e.message}`);
  const cs = (p: Pod) => p.status?.containerStatuses?.[0];
  const condition = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);

  beforeEach(() => {
    clock = new FakeClock();
    client = new FakeClient({ clock });
    runtime = new SimulatedRuntime({ clock, newId: idGen() });
    ac = new AbortController();
    logs = [];
  });

  afterEach(async () => {
    ac.abort();
    await kubelet.stop();
    await runtime.close();
    assert.equal(client.watchCount(), 0, 'no watch left open');
    assert.equal(clock.pending(), 0, 'no timer left pending');
  });

  test('registers the Node with labels, capacity, addresses, nodeInfo and conditions, and creates its Lease', async () => {
    await start({ labels: { 'node-role.kubernetes.io/worker': '' } });
    const node = await getNode();
    assert.deepEqual(node.metadata?.labels, {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'node-1',
      'kubernetes.io/os': 'linux',
      'node-role.kubernetes.io/worker': '',
    });
    assert.equal(node.spec?.podCIDR, '10.42.1.0/24');
    assert.deepEqual(node.status?.capacity, { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' });
    assert.deepEqual(node.status?.allocatable, node.status?.capacity);
    assert.deepEqual(node.status?.addresses, [
      { type: 'InternalIP', address: '198.18.0.10' },
      { type: 'Hostname', address: 'node-1' },
    ]);
    assert.equal(node.status?.nodeInfo?.kubeletVersion, 'v1.32.0-skiff');
    assert.equal(node.status?.nodeInfo?.containerRuntimeVersion, 'simulated://0.1');
    assert.equal(node.status?.nodeInfo?.osImage, 'Skiff Simulated Linux');
    assert.deepEqual(
      node.status?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}`),
      ['MemoryPressure=False KubeletHasSufficientMemory', 'DiskPressure=False KubeletHasNoDiskPressure', 'PIDPressure=False KubeletHasSufficientPID', 'Ready=True KubeletReady'],
    );
    const lease = await getLease();
    assert.equal(lease.spec?.holderIdentity, 'node-1');
    assert.equal(lease.spec?.leaseDurationSeconds, 40);
    assert.equal(lease.spec?.renewTime, '2025-01-01T00:00:00.000000Z');
    assert.deepEqual(lease.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name}/${r.uid}`), [`Node/node-1/${node.metadata?.uid}`]);
  });

  test('takes over an existing Node, adding missing labels and keeping others', async () => {
    await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: { team: 'a' } }, spec: { podCIDR: '10.42.9.0/24', podCIDRs: ['10.42.9.0/24'] } });
    await start({ podCIDR: undefined });
    const node = await getNode();
    assert.equal(node.metadata?.labels?.team, 'a');
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'node-1');
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    await client.create(PODS, podSpec('web'));
    await until('the pod runs with an IP of the existing podCIDR', async () => (await getPod('web')).status?.podIP === '10.42.9.2');
  });

  test('renews the Lease every 10 s, posts an unchanged status every 5 min, and stops both while annotated simulate-down', async () => {
    await start();
    await clock.advance(10_000);
    assert.equal((await getLease()).spec?.renewTime, '2025-01-01T00:00:10.000000Z');
    const heartbeat = async () => (await getNode()).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    assert.equal(await heartbeat(), '2025-01-01T00:00:00Z');
    await clock.advance(50_000);
    assert.equal(await heartbeat(), '2025-01-01T00:00:00Z', 'nothing changed: no status write within nodeStatusReportFrequency');
    await clock.advance(NODE_STATUS_REPORT_MS - 60_000);
    assert.equal(await heartbeat(), '2025-01-01T00:05:00Z');

    const node = await client.get<KubeObject>(NODES, undefined, 'node-1');
    node.metadata!.annotations = { 'skiff.io/simulate-down': 'true' };
    await client.update(NODES, node);
    await settle();
    assert.equal(kubelet.isDown(), true);
    await clock.advance(120_000);
    assert.equal((await getLease()).spec?.renewTime, '2025-01-01T00:05:00.000000Z', 'no renewal while down');
    assert.equal(await heartbeat(), '2025-01-01T00:05:00Z', 'no status while down');

    const down = await client.get<KubeObject>(NODES, undefined, 'node-1');
    delete down.metadata!.annotations!['skiff.io/simulate-down'];
    await client.update(NODES, down);
    await until('the lease is renewed at once', async () => (await getLease()).spec?.renewTime === '2025-01-01T00:07:00.000000Z');
    await until('the status is posted at once', async () => (await heartbeat()) === '2025-01-01T00:07:00Z');
    await clock.advance(10_000);
    assert.equal((await getLease()).spec?.renewTime, '2025-01-01T00:07:10.000000Z');
  });

  test('a pod goes Pending → Running, gets an IP of the podCIDR, and is Ready after readinessProbe.initialDelaySeconds', async () => {
    await start();
    await client.create(PODS, podSpec('web', { readinessDelay: 5 }));
    await until('the pod runs', async () => (await getPod('web')).status?.phase === 'Running');
    let pod = await getPod('web');
    assert.equal(pod.status?.podIP, '10.42.1.2');
    assert.deepEqual(pod.status?.podIPs, [{ ip: '10.42.1.2' }]);
    assert.equal(pod.status?.hostIP, '198.18.0.10');
    assert.equal(pod.status?.startTime, '2025-01-01T00:00:00Z');
    assert.equal(pod.status?.qosClass, 'BestEffort', 'qosClass kept');
    assert.deepEqual(cs(pod)?.state, { running: { startedAt: '2025-01-01T00:00:00Z' } });
    assert.equal(cs(pod)?.ready, false);
    assert.equal(cs(pod)?.started, true);
    assert.match(cs(pod)?.containerID ?? '', /^simulated:\/\/c\d+$/);
    assert.match(cs(pod)?.imageID ?? '', /^sha256:/);
    assert.equal(condition(pod, 'Ready')?.status, 'False');
    assert.equal(condition(pod, 'Ready')?.message, 'containers with unready status: [app]');
    assert.equal(condition(pod, 'PodScheduled')?.status, 'True');
    assert.equal(condition(pod, 'Initialized')?.status, 'True');
    assert.equal(condition(pod, 'PodReadyToStartContainers')?.status, 'True');

    await clock.advance(5_000);
    await until('the pod is ready', async () => condition(await getPod('web'), 'Ready')?.status === 'True');
    pod = await getPod('web');
    assert.equal(cs(pod)?.ready, true);
    assert.equal(condition(pod, 'Ready')?.lastTransitionTime, '2025-01-01T00:00:05Z');
    assert.equal(condition(pod, 'Initialized')?.lastTransitionTime, '2025-01-01T00:00:00Z', 'unchanged conditions keep their time');
    await until('events are written', async () => (await events()).length >= 3);
    assert.deepEqual(await events(), ['Pulled: Container image "busybox:1.36" already present on machine', 'Created: Created container app', 'Started: Started container app']);

    const rv = pod.metadata?.resourceVersion;
    await clock.advance(120_000); // resyncs change nothing
    assert.equal((await getPod('web')).metadata?.resourceVersion, rv, 'no status write without a change');
  });

  test('serviceEnv: containers get the variables of the Services the kubelet watches, created before and after it starts', async () => {
    const SERVICES = resourceInfo('', 'v1', 'services');
    const svc = (name: string, ip: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec: { clusterIP: ip, ports: [{ port: 80 }] } }) as KubeObject;
    const envs: string[][] = [];
    const create = runtime.createContainer.bind(runtime);
    runtime.createContainer = (id, config) => (envs.push((config.env ?? []).map((e) => `${e.name}=${e.value}`)), create(id, config));
    await client.create(SERVICES, svc('kubernetes', '10.43.0.1'));
    await start({ serviceEnv: true });
    await client.create(SERVICES, svc('web-api', '10.43.0.20'));
    await settle();
    await client.create(PODS, podSpec('web'));
    await until('the pod runs', async () => (await getPod('web')).status?.phase === 'Running');
    assert.equal(envs.length, 1);
    for (const v of ['KUBERNETES_SERVICE_HOST=10.43.0.1', 'WEB_API_SERVICE_HOST=10.43.0.20', 'WEB_API_PORT=tcp://10.43.0.20:80']) assert.ok(envs[0]!.includes(v), `${v} in ${envs[0]!.join(' ')}`);
  });

  test('waits for spec.podCIDR before starting pods that need an IP; host-network pods start at once; the node is NotReady until then', async () => {
    await start({ podCIDR: undefined });
    // as Kubernetes' kubelet with its network plugin not ready: the not-ready taint keeps pods away
    const ready = async () => (await getNode()).status?.conditions?.find((c) => c.type === 'Ready');
    assert.deepEqual(
      { status: (await ready())?.status, reason: (await ready())?.reason, message: (await ready())?.message },
      { status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:no pod CIDR assigned to the node yet' },
    );
    await client.create(PODS, podSpec('web'));
    const host = podSpec('host');
    (host.spec as { hostNetwork?: boolean }).hostNetwork = true;
    await client.create(PODS, host);
    await until('the host-network pod runs', async () => (await getPod('host')).status?.phase === 'Running');
    assert.equal((await getPod('host')).status?.podIP, '198.18.0.10');
    await until('the pod waits', async () => cs(await getPod('web'))?.state?.waiting?.reason === 'ContainerCreating');
    assert.equal((await getPod('web')).status?.phase, 'Pending');

    const node = await getNode();
    node.spec = { ...node.spec, podCIDR: '10.42.5.0/24', podCIDRs: ['10.42.5.0/24'] };
    await client.update(NODES, node);
    // at once, not at the next heartbeat (no time passes in until)
    await until('the node is Ready', async () => (await ready())?.status === 'True');
    await until('the pod runs', async () => (await getPod('web')).status?.phase === 'Running');
    assert.equal((await getPod('web')).status?.podIP, '10.42.5.2');
    assert.ok((await events()).includes('NetworkNotReady: network is not ready: no pod CIDR assigned to the node yet'));
  });

  test('init containers run in order, each to completion, before the app container', async () => {
    await start();
    await client.create(PODS, podSpec('web', { init: ['one', 'two'] }));
    await until('the pod runs', async () => (await getPod('web')).status?.phase === 'Running');
    const pod = await getPod('web');
    assert.deepEqual(
      pod.status?.initContainerStatuses?.map((s) => `${s.name} ${s.state?.terminated?.reason} ${s.state?.terminated?.exitCode}`),
      ['one Completed 0', 'two Completed 0'],
    );
    assert.equal(condition(pod, 'Initialized')?.status, 'True');
    const created = (await events()).filter((e) => e.startsWith('Created'));
    assert.deepEqual(created, ['Created: Created container one', 'Created: Created container two', 'Created: Created container app']);
  });

  for (const restartPolicy of ['Never', 'OnFailure']) {
    test(`a simulated exit 0 with restartPolicy ${restartPolicy} makes the pod Succeeded and frees its IP`, async () => {
      await start();
      await client.create(PODS, podSpec('job', { restartPolicy, annotations: { 'skiff.io/simulate-exit-code': '0', 'skiff.io/simulate-run-seconds': '3' } }));
      await until('the pod runs', async () => (await getPod('job')).status?.phase === 'Running');
      await clock.advance(3_000);
      await until('the pod succeeds', async () => (await getPod('job')).status?.phase === 'Succeeded');
      const pod = await getPod('job');
      assert.deepEqual(
        { reason: cs(pod)?.state?.terminated?.reason, exitCode: cs(pod)?.state?.terminated?.exitCode, finishedAt: cs(pod)?.state?.terminated?.finishedAt },
        { reason: 'Completed', exitCode: 0, finishedAt: '2025-01-01T00:00:03Z' },
      );
      assert.equal(cs(pod)?.restartCount, 0);
      assert.equal(condition(pod, 'Ready')?.reason, 'PodCompleted');
      assert.equal(pod.status?.podIP, '10.42.1.2', 'the IP stays in the status');
      assert.equal(runtime.counts().ips, 0, 'the IP is freed');
    });
  }

  test('a simulated exit 1 with restartPolicy Never fails the pod', async () => {
    await start();
    await client.create(PODS, podSpec('job', { restartPolicy: 'Never', annotations: { 'skiff.io/simulate-exit-code': '1', 'skiff.io/simulate-run-seconds': '1' } }));
    await until('the pod runs', async () => (await getPod('job')).status?.phase === 'Running');
    await clock.advance(1_000);
    await until('the pod fails', async () => (await getPod('job')).status?.phase === 'Failed');
    assert.equal(cs(await getPod('job'))?.state?.terminated?.reason, 'Error');
  });

  test('exit 1 with restartPolicy Always: restarts with a growing CrashLoopBackOff and restartCount', async () => {
    await start();
    await client.create(PODS, podSpec('crash', { annotations: { 'skiff.io/simulate-exit-code': '1', 'skiff.io/simulate-run-seconds': '1' } }));
    await until('the pod runs', async () => (await getPod('crash')).status?.phase === 'Running');
    const restarts = async () => cs(await getPod('crash'))?.restartCount;

    await clock.advance(1_000); // exit 1 at t=1: restarted at once
    await until('first restart', async () => (await restarts()) === 1);
    await clock.advance(1_000); // exit at t=2: back-off 10 s
    await until('back-off', async () => cs(await getPod('crash'))?.state?.waiting?.reason === 'CrashLoopBackOff');
    let pod = await getPod('crash');
    assert.match(cs(pod)?.state?.waiting?.message ?? '', /^back-off 10s restarting failed container=app pod=crash_default\(fake-uid-\d+\)$/);
    assert.deepEqual([cs(pod)?.lastState?.terminated?.exitCode, cs(pod)?.lastState?.terminated?.reason], [1, 'Error']);
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(condition(pod, 'Ready')?.status, 'False');

    await clock.advance(9_999);
    assert.equal(await restarts(), 1, 'still backing off');
    await clock.advance(1);
    await until('second restart at t=12', async () => (await restarts()) === 2);
    assert.ok(cs(await getPod('crash'))?.state?.running);
    await clock.advance(1_000); // exit at t=13: back-off 20 s
    await until('back-off 20s', async () => /back-off 20s/.test(cs(await getPod('crash'))?.state?.waiting?.message ?? ''));
    await clock.advance(19_999);
    assert.equal(await restarts(), 2);
    await clock.advance(1);
    await until('third restart at t=33', async () => (await restarts()) === 3);
    await clock.advance(1_000);
    await until('back-off 40s', async () => /back-off 40s/.test(cs(await getPod('crash'))?.state?.waiting?.message ?? ''));
    assert.ok((await events()).some((e) => /^BackOff: Back-off restarting failed container app in pod crash_default/.test(e)));
    assert.ok(runtime.counts().containers <= 2, 'old attempts are removed');
  });

  for (const [grace, exitCode] of [[undefined, 143], [0, 137]] as const) {
  test(`graceful deletion (terminationGracePeriodSeconds ${grace}): containers stop, the final status is posted, then the pod is deleted`, async () => {
    await start();
    await client.create(PODS, { ...podSpec('web', { grace }), metadata: { name: 'web', namespace: 'default', finalizers: ['test.skiff.io/hold'] } });
    await until('the pod runs', async () => (await getPod('web')).status?.phase === 'Running');
    // FakeClient marks the pod (deletionTimestamp) because of the finalizer, as the API server does for a graceful delete.
    await client.delete(PODS, 'default', 'web');
    await until('the containers are stopped and the final status posted', async () => (await getPod('web')).status?.phase === 'Failed');
    const pod = await getPod('web');
    assert.equal(cs(pod)?.state?.terminated?.exitCode, exitCode, grace === 0 ? 'killed at once' : 'stopped with SIGTERM');
    assert.equal(runtime.counts().ips, 0);
    assert.ok((await events()).includes('Killing: Stopping container app'));

    // The kubelet's DELETE (grace 0, uid precondition) waits only for our finalizer now.
    const last = await client.get<KubeObject>(PODS, 'default', 'web');
    last.metadata!.finalizers = [];
    await client.update(PODS, last);
    await until('the kubelet forgets the pod', () => kubelet.podCount() === 0);
    await assert.rejects(getPod('web'));
    assert.deepEqual(runtime.counts(), { sandboxes: 0, containers: 0, ips: 0 });
  });
  }

  test('a pod deleted from the API at once is torn down', async () => {
    await start();
    await client.create(PODS, podSpec('web'));
    await until('the pod runs', async () => (await getPod('web')).status?.phase === 'Running');
    assert.equal(runtime.counts().containers, 1);
    await client.delete(PODS, 'default', 'web');
    await until('everything is removed', () => runtime.counts().sandboxes === 0);
    assert.deepEqual(runtime.counts(), { sandboxes: 0, containers: 0, ips: 0 });
  });

  test('a restarted kubelet adopts what the runtime runs: no restart, restartCount and status unchanged', async () => {
    await start();
    await client.create(PODS, podSpec('web', { annotations: { 'skiff.io/simulate-exit-code': '1', 'skiff.io/simulate-run-seconds': '30' } }));
    await until('the pod runs', async () => (await getPod('web')).status?.phase === 'Running');
    await clock.advance(30_000);
    await until('restarted once', async () => cs(await getPod('web'))?.restartCount === 1);
    const before = await getPod('web');
    await kubelet.stop();

    await start();
    await clock.advance(0);
    await settle();
    const after = await getPod('web');
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'nothing to write');
    assert.equal(cs(after)?.containerID, cs(before)?.containerID);
    assert.equal(runtime.counts().containers, 2, 'the running container and the one before it');
  });

  test('activeDeadlineSeconds: the kubelet stops the pod and fails it with DeadlineExceeded', async () => {
    await start();
    const p = podSpec('deadline');
    (p.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds = 30;
    await client.create(PODS, p);
    await until('the pod runs', async () => (await getPod('deadline')).status?.phase === 'Running');
    await clock.advance(29_000);
    assert.equal((await getPod('deadline')).status?.phase, 'Running');
    await clock.advance(1_000);
    await until('the pod fails', async () => (await getPod('deadline')).status?.phase === 'Failed');
    const pod = await getPod('deadline');
    assert.deepEqual([pod.status?.reason, pod.status?.message], ['DeadlineExceeded', 'Pod was active on the node longer than the specified deadline']);
    assert.equal(cs(pod)?.state?.terminated?.exitCode, 143);
    assert.equal(runtime.counts().ips, 0);
  });

  test('pods bound to other nodes are ignored; sandboxes of unknown pods are removed once synced', async () => {
    const orphan = await runtime.runPodSandbox({ metadata: { name: 'gone', namespace: 'default', uid: 'gone-uid', attempt: 0 }, hostname: 'gone', labels: {}, annotations: {}, hostNetwork: true });
    await start();
    await client.create(PODS, podSpec('other', { node: 'node-2' }));
    await until('the orphan sandbox is removed', async () => (await runtime.listPodSandboxes({ id: orphan })).length === 0);
    await settle();
    assert.equal((await getPod('other')).status?.phase, 'Pending');
    assert.equal(kubelet.podCount(), 0);
  });
});

function idGen(): () => string {
  let n = 0;
  return () => `c${++n}`;
}
