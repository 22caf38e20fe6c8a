// The kubelet's real-node features against FakeClient and the simulated runtime (which keeps the
// configs it is given) with real files on disk: env and volume mounts reaching ContainerConfig,
// FailedMount and CreateContainerConfigError waits, ConfigMap updates reaching the volume, pod
// directories removed with the pod, real probing restarting an unhealthy container, and the
// postStart / preStop hooks (preStop before the stop, inside the grace period).
import { strict as assert } from 'node:assert';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ConfigMap, Event, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from '../client/client.js';
import { FakeClient } from '../client/fake-client.js';
import { FakeClock } from '../client/fake-clock.js';
import type { ContainerConfig, ExecOptions } from '../runtime/runtime.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { Kubelet, type KubeletOptions } from './kubelet.js';
import type { MachineInfo } from './node-status.js';
import { PeriodicProbeManager } from './probes/periodic-probe-manager.js';
import type { Prober } from './probes/prober.js';

const PODS = resourceInfo('', 'v1', 'pods');
const CONFIGMAPS = resourceInfo('', 'v1', 'configmaps');
const EVENTS = resourceInfo('', 'v1', 'events');
const MACHINE: MachineInfo = { osImage: 'Test', kernelVersion: '6', architecture: 'amd64', operatingSystem: 'linux', machineID: 'm', systemUUID: 'u', bootID: 'b' };

type PodObject = Pod & KubeObject;

/** The simulated runtime, keeping every ContainerConfig, with an exec whose exit codes the test scripts and a log of exec and stop calls. */
class RecordingRuntime extends SimulatedRuntime {
  readonly configs: ContainerConfig[] = [];
  readonly calls: string[] = [];
  execExit = new Map<string, number>();
  private names = new Map<string, string>();

  override async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    this.configs.push(config);
    const id = await super.createContainer(sandboxId, config);
    this.names.set(id, config.metadata.name);
    return id;
  }

  override async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const st = await this.containerStatus(id).catch(() => undefined);
    if (st?.state === 'running') this.calls.push(`stop ${this.names.get(id)} ${timeoutSeconds}s`);
    return super.stopContainer(id, timeoutSeconds);
  }

  async exec(id: string, command: readonly string[], opts: ExecOptions = {}): Promise<number> {
    const cmd = command.join(' ');
    this.calls.push(`exec ${this.names.get(id)}: ${cmd}`);
    opts.stdout?.write(`ran ${cmd}`);
    return this.execExit.get(cmd) ?? 0;
  }
}

describe('Kubelet on a real node (pods dir, env, volumes, probes, hooks)', () => {
  let clock: FakeClock;
  let client: FakeClient;
  let runtime: RecordingRuntime;
  let kubelet: Kubelet;
  let ac: AbortController;
  let dir: string;
  let logs: string[];

  const start = async (opts: Partial<KubeletOptions> = {}) => {
    kubelet = new Kubelet({ client, runtime, nodeName: 'node-1', clock, nodeIP: '198.18.0.10', machine: MACHINE, podCIDR: '10.42.1.0/24', podsDir: dir, log: (l) => logs.push(l), ...opts });
    await kubelet.start(ac.signal);
  };
  const getPod = (name: string) => client.get<PodObject>(PODS, 'default', name);
  /** Lets async work (real file I/O included) run until `pred` holds; fake time does not move. */
  const until = async (what: string, pred: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 400; i++) {
      if (await pred()) return;
      await clock.advance(0);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.fail(`timed out waiting for ${what}; logs:\n${logs.join('\n')}`);
  };
  const events = async () => (await client.list<Event & KubeObject>(EVENTS, 'default')).items.map((e) => `${e.reason}: ${e.message}`);
  const cs = (p: Pod) => p.status?.containerStatuses?.[0];

  beforeEach(async () => {
    clock = new FakeClock();
    client = new FakeClient({ clock });
    let n = 0;
    runtime = new RecordingRuntime({ clock, newId: () => `c${++n}` });
    ac = new AbortController();
    dir = await mkdtemp(join(tmpdir(), 'skiff-kubelet-pods-'));
    logs = [];
  });

  afterEach(async () => {
    ac.abort();
    await kubelet.stop();
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
    assert.equal(client.watchCount(), 0, 'no watch left open');
    assert.equal(clock.pending(), 0, 'no timer left pending');
  });

  test('env (configMapKeyRef, fieldRef status.podIP, $(VAR)) and volume mounts reach ContainerConfig; updates reach the volume; the pod directory goes with the pod', async () => {
    await client.create<ConfigMap & KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { greeting: 'hello', 'app.conf': 'v1' } });
    await start();
    await client.create<PodObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName: 'node-1',
        volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'scratch', emptyDir: {} }],
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            args: ['echo', '$(GREETING) from $(POD_IP)'],
            env: [
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'MSG', value: '$(GREETING)!' },
            ],
            volumeMounts: [{ name: 'cfg', mountPath: '/etc/app' }, { name: 'scratch', mountPath: '/scratch' }],
          },
        ],
      },
    });
    await until('the pod runs', async () => (await getPod('web')).status?.phase === 'Running');
    const uid = (await getPod('web')).metadata!.uid!;
    const config = runtime.configs.at(-1)!;
    assert.deepEqual(config.env, [
      { name: 'GREETING', value: 'hello' },
      { name: 'POD_IP', value: '10.42.1.2' },
      { name: 'MSG', value: 'hello!' },
    ]);
    assert.deepEqual(config.args, ['echo', 'hello from 10.42.1.2']);
    const cfgDir = join(dir, uid, 'volumes/kubernetes.io~configmap/cfg');
    assert.deepEqual(config.mounts, [
      { containerPath: '/etc/app', hostPath: cfgDir, readOnly: true },
      { containerPath: '/scratch', hostPath: join(dir, uid, 'volumes/kubernetes.io~empty-dir/scratch') },
    ]);
    assert.equal(await readFile(join(cfgDir, 'app.conf'), 'utf8'), 'v1');

    const cm = await client.get<ConfigMap & KubeObject>(CONFIGMAPS, 'default', 'cfg');
    await client.update(CONFIGMAPS, { ...cm, data: { ...cm.data, 'app.conf': 'v2' } });
    await clock.advance(60_000); // the periodic resync refreshes the volume
    await until('the update reaches the volume', async () => (await readFile(join(cfgDir, 'app.conf'), 'utf8')) === 'v2');

    await client.delete(PODS, 'default', 'web');
    await until('the pod directory is removed', async () => lstat(join(dir, uid)).then(() => false, () => true));
  });

  test('a missing ConfigMap: volume → FailedMount and ContainerCreating until it exists; env → CreateContainerConfigError', async () => {
    await start();
    await client.create<PodObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'vol', namespace: 'default' },
      spec: { nodeName: 'node-1', volumes: [{ name: 'cfg', configMap: { name: 'later' } }], containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }] },
    });
    await client.create<PodObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'env', namespace: 'default' },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox:1.36', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }] }] },
    });
    await until('FailedMount is recorded', async () => (await events()).includes('FailedMount: MountVolume.SetUp failed for volume "cfg" : configmap "later" not found'));
    await until('the env pod waits with CreateContainerConfigError', async () => cs(await getPod('env'))?.state?.waiting?.reason === 'CreateContainerConfigError');
    assert.equal(cs(await getPod('env'))?.state?.waiting?.message, 'configmap "missing" not found');
    assert.ok((await events()).includes('Failed: Error: configmap "missing" not found'));
    const vol = await getPod('vol');
    assert.equal(vol.status?.phase, 'Pending');
    assert.equal(cs(vol)?.state?.waiting?.reason, 'ContainerCreating');
    assert.equal(runtime.counts().containers, 0);

    await client.create<ConfigMap & KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: 'default' }, data: { a: '1' } });
    await clock.advance(10_000); // the mount is retried after its back-off
    await until('the pod runs once the ConfigMap exists', async () => (await getPod('vol')).status?.phase === 'Running');
  });

  test('real probing: a failing liveness probe kills and restarts the container with Kubernetes events', async () => {
    let healthy = true;
    const prober: Prober = { probe: async () => (healthy ? { result: 'success', output: '' } : { result: 'failure', output: 'HTTP probe failed with statuscode: 500' }) };
    await start({ probes: (deps) => new PeriodicProbeManager({ ...deps, prober }) });
    await client.create<PodObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'live', namespace: 'default' },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox:1.36', livenessProbe: { httpGet: { port: 8080, path: '/healthz' }, periodSeconds: 1, failureThreshold: 2 } }] },
    });
    await until('the pod runs', async () => (await getPod('live')).status?.phase === 'Running');
    healthy = false;
    await clock.advance(1_000); // failure 1 of 2
    assert.equal(cs(await getPod('live'))?.restartCount, 0);
    await clock.advance(1_000); // failure 2 of 2: killed, restarted at once (the first restart has no back-off)
    await until('the container was killed', async () => (await events()).includes('Killing: Container app failed liveness probe, will be restarted'));
    healthy = true;
    await until('the container is restarted', async () => cs(await getPod('live'))?.restartCount === 1 && cs(await getPod('live'))?.state?.running !== undefined);
    const ev = await events();
    assert.ok(ev.includes('Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500'), ev.join('\n'));
    assert.ok(ev.includes('Killing: Container app failed liveness probe, will be restarted'), ev.join('\n'));
    assert.equal(cs(await getPod('live'))?.lastState?.terminated?.exitCode, 143);
  });

  test('preStop runs before the stop, inside the grace period; a failing postStart kills the container', async () => {
    runtime.execExit.set('sh -c exit 1', 1);
    await start();
    await client.create<PodObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hooks', namespace: 'default', finalizers: ['test.skiff.io/hold'] },
      spec: {
        nodeName: 'node-1',
        terminationGracePeriodSeconds: 20,
        containers: [
          { name: 'app', image: 'busybox:1.36', lifecycle: { postStart: { exec: { command: ['touch', '/started'] } }, preStop: { exec: { command: ['nginx', '-s', 'quit'] } } } },
        ],
      },
    });
    await until('the pod runs', async () => (await getPod('hooks')).status?.phase === 'Running');
    await client.delete(PODS, 'default', 'hooks');
    await until('the pod is stopped', async () => (await getPod('hooks')).status?.phase === 'Failed');
    assert.deepEqual(runtime.calls, ['exec app: touch /started', 'exec app: nginx -s quit', 'stop app 20s']);

    runtime.calls.length = 0;
    await client.create<PodObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'badhook', namespace: 'default' },
      spec: { nodeName: 'node-1', restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 1'] } } } }] },
    });
    await until('the pod fails', async () => (await getPod('badhook')).status?.phase === 'Failed');
    assert.deepEqual(runtime.calls, ['exec app: sh -c exit 1', 'stop app 30s']);
    const ev = await events();
    const uid = (await getPod('badhook')).metadata!.uid;
    assert.ok(ev.includes(`FailedPostStartHook: Exec lifecycle hook ([sh -c exit 1]) for Container "app" in Pod "badhook_default(${uid})" failed - error: command 'sh -c exit 1' exited with 1: ran sh -c exit 1, message: "ran sh -c exit 1"`), ev.join('\n'));
    assert.ok(ev.includes('Killing: FailedPostStartHook'));
  });

  test('directories of pods the kubelet does not know are removed once the pod cache has synced', async () => {
    await mkdir(join(dir, 'orphan-uid/volumes/kubernetes.io~empty-dir/x'), { recursive: true });
    await writeFile(join(dir, 'orphan-uid/volumes/kubernetes.io~empty-dir/x/f'), 'left over');
    await start();
    await until('the orphan directory is removed', async () => (await readdir(dir)).length === 0);
  });

  test('without podsDir (simulated nodes) volumes are ignored: no files, no mounts, the pod runs', async () => {
    await start({ podsDir: undefined });
    await client.create<PodObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sim', namespace: 'default' },
      spec: { nodeName: 'node-1', volumes: [{ name: 'cfg', configMap: { name: 'absent' } }], containers: [{ name: 'app', image: 'busybox:1.36', env: [{ name: 'A', value: 'a' }], volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }] },
    });
    await until('the pod runs', async () => (await getPod('sim')).status?.phase === 'Running');
    assert.equal(runtime.configs.at(-1)?.mounts, undefined);
    assert.deepEqual(runtime.configs.at(-1)?.env, [{ name: 'A', value: 'a' }]);
    assert.deepEqual(await readdir(dir), []);
  });
});
