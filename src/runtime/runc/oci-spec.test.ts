import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CPU_PERIOD_US, DEFAULT_CAPABILITIES, ociSpec, processArgs, processEnv } from './oci-spec.js';

const image = { entrypoint: ['/entry'], cmd: ['--default'], env: ['PATH=/bin', 'A=image', 'B=image'], workingDir: '/work' };

test('processArgs merges command and args as Kubernetes does', () => {
  assert.deepEqual(processArgs({}, image), ['/entry', '--default']);
  assert.deepEqual(processArgs({ args: ['x'] }, image), ['/entry', 'x']);
  assert.deepEqual(processArgs({ command: ['sh'] }, image), ['sh']);
  assert.deepEqual(processArgs({ command: ['sh'], args: ['-c', 'true'] }, image), ['sh', '-c', 'true']);
  assert.deepEqual(processArgs({}, { cmd: ['sh'] }), ['sh']);
  assert.throws(() => processArgs({}, {}), /no command specified/);
});

test('processEnv: image env overridden by name, PATH defaulted, extras before container env', () => {
  assert.deepEqual(processEnv([{ name: 'B', value: 'pod' }, { name: 'C', value: '1' }], image, [{ name: 'HOSTNAME', value: 'h' }]), ['PATH=/bin', 'A=image', 'B=pod', 'HOSTNAME=h', 'C=1']);
  assert.match(processEnv(undefined, {})[0]!, /^PATH=\/usr\/local\/sbin:/);
  assert.deepEqual(processEnv([{ name: 'HOSTNAME', value: 'mine' }], { env: [] }, [{ name: 'HOSTNAME', value: 'h' }]).slice(1), ['HOSTNAME=mine']);
});

test('ociSpec: namespaces joined by path, resources from the container config, mounts', () => {
  const spec = ociSpec({
    config: {
      metadata: { name: 'c', attempt: 0 },
      image: 'busybox',
      labels: {},
      annotations: {},
      tty: true,
      mounts: [{ containerPath: '/data', hostPath: '/host/data', readOnly: true }],
      resources: { memoryLimitBytes: 20 << 20, cpuLimitMilli: 500, cpuRequestMilli: 250 },
    },
    image,
    args: ['sh'],
    env: ['PATH=/bin'],
    user: { uid: 1000, gid: 100 },
    rootfs: '/b/rootfs',
    cgroupsPath: '/skiff/id',
    netnsPath: '/run/netns/x',
    utsnsPath: '/s/ns-uts',
    ipcnsPath: '/s/ns-ipc',
    etcFiles: { hosts: '/s/hosts', resolvConf: '/s/resolv.conf', hostname: '/s/hostname' },
    cgroupV2: false,
  }) as { process: Record<string, unknown>; linux: Record<string, unknown>; mounts: Array<{ destination: string; source: string; options?: string[] }> };
  assert.equal(spec.process.terminal, true);
  assert.equal(spec.process.cwd, '/work');
  assert.deepEqual(spec.process.user, { uid: 1000, gid: 100 });
  assert.deepEqual((spec.process.capabilities as { bounding: string[] }).bounding, DEFAULT_CAPABILITIES);
  assert.deepEqual(spec.linux.namespaces, [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/x' }, { type: 'uts', path: '/s/ns-uts' }, { type: 'ipc', path: '/s/ns-ipc' }]);
  const r = spec.linux.resources as { memory: { limit: number }; cpu: { quota: number; period: number; shares: number } };
  assert.equal(r.memory.limit, 20 << 20);
  assert.deepEqual(r.cpu, { shares: 256, quota: 50_000, period: CPU_PERIOD_US });
  const data = spec.mounts.find((m) => m.destination === '/data')!;
  assert.equal(data.source, '/host/data');
  assert.ok(data.options!.includes('ro'));
  assert.equal(spec.mounts.find((m) => m.destination === '/etc/hosts')!.source, '/s/hosts');
});

test('ociSpec: host network shares the node network and UTS namespaces', () => {
  const spec = ociSpec({
    config: { metadata: { name: 'c', attempt: 0 }, image: 'b', labels: {}, annotations: {} },
    image: {},
    args: ['sh'],
    env: [],
    user: { uid: 0, gid: 0 },
    rootfs: '/r',
    cgroupsPath: '/skiff/id',
    ipcnsPath: '/s/ns-ipc',
    etcFiles: { hosts: '/s/hosts', resolvConf: '/s/resolv.conf', hostname: '/s/hostname' },
    cgroupV2: true,
  }) as { process: { cwd: string }; linux: { namespaces: Array<{ type: string }>; resources: Record<string, unknown> } };
  assert.deepEqual(spec.linux.namespaces.map((n) => n.type), ['pid', 'mount', 'ipc']);
  assert.equal(spec.process.cwd, '/');
  assert.equal(spec.linux.resources.memory, undefined);
  assert.equal(spec.linux.resources.cpu, undefined);
});
