// The real node on crun (`--container-runtime crun`): the same runtime code drives crun under
// conmon instead of runc. Proves, with the real kubectl, that a pod becomes Ready behind a
// readiness probe and serves on its IP, that exec and logs work, that memory limits reach the
// cgroup (OOMKilled) and that `skiff killall` leaves nothing. (The whole node suite runs on crun
// with SKIFF_CONTAINER_RUNTIME=crun.)
//
// Needs root, crun and conmon; skipped otherwise. Pod network 198.18.76.0/22, service CIDR
// 198.19.252.0/22 and bridge `sktcrun0` are this file's own.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeBusyboxArchive } from '../../src/images/busybox-archive.js';
import { SKIFF_MAIN, kubectl, httpGet, killallOk, kubectlOk, manifest, removeAgentCluster, startSkiff, waitUntil, type Skiff } from './harness.js';

const HAVE = existsSync('/usr/bin/crun') && existsSync('/usr/bin/conmon');
const skip = process.getuid?.() !== 0 ? 'needs root (containers, network namespaces)' : !HAVE ? 'crun or conmon missing (npm test installs them as root)' : false;
const BRIDGE = 'sktcrun0';
const IMAGE = 'busybox:1.35.0';

describe('the real node on crun', { skip, timeout: 300_000 }, () => {
  let s: Skiff;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-crun-e2e-'));
    mkdirSync(join(dataDir, 'agent', 'images'), { recursive: true });
    await writeBusyboxArchive(join(dataDir, 'agent', 'images', 'busybox.tar'));
    s = await startSkiff({
      dataDir,
      agent: true,
      timeoutMs: 30_000,
      args: ['--storage', 'memory', '--cluster-cidr', '198.18.76.0/22', '--node-cidr-mask-size', '24', '--service-cidr', '198.19.252.0/22', '--pod-bridge', BRIDGE, '--kubelet-port', '0', '--node-name', 'skiff-crun-node', '--container-runtime', 'crun'],
    });
    const r = await kubectl(s, ['wait', '--for=condition=Ready', 'node/skiff-crun-node', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr + s.output());
    await until('default service account', async () => (await kubectl(s, ['get', 'sa', 'default'])).code === 0);
  });

  after(() => removeAgentCluster(s, dataDir));

  const ok = (...args: string[]) => kubectlOk(s, args);
  type Pod = { status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { containerID?: string; state: { terminated?: { reason?: string } } }[] } };
  const pod = async (name: string) => JSON.parse(await ok('get', 'pod', name, '-o', 'json')) as Pod;
  const until = (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => waitUntil(what, check, { timeoutMs, context: () => s.output().slice(-4000) });

  it('the node reports crun as its container runtime', async () => {
    const node = JSON.parse(await ok('get', 'node', 'skiff-crun-node', '-o', 'json')) as { status: { nodeInfo: { containerRuntimeVersion: string } } };
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^crun:\/\/\d+\.\d+/);
  });

  it('a pod behind a readiness probe becomes Ready, serves on its IP, and answers exec and logs', async () => {
    await ok('apply', '-f', manifest(s, 'web.yaml', `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: ${IMAGE}
    command: [sh, -c, 'mkdir -p /srv/crun-e2e && echo hello-from-crun > /srv/crun-e2e/index.html && echo serving && exec httpd -f -p 8080 -h /srv/crun-e2e']
    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
`));
    await until('web Ready', async () => (await pod('web')).status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true);
    const p = await pod('web');
    assert.match(p.status.containerStatuses?.[0].containerID ?? '', /^crun:\/\/[0-9a-f]{64}$/);
    assert.equal((await httpGet(p.status.podIP!, 8080)).trim(), 'hello-from-crun');
    assert.equal((await ok('exec', 'web', '--', 'hostname')).trim(), 'web');
    const r = await kubectl(s, ['exec', 'web', '--', 'sh', '-c', 'exit 7']);
    assert.equal(r.code, 7);
    assert.equal((await ok('logs', 'web')).trim(), 'serving');
  });

  it('a container over its memory limit is OOMKilled (the limit reaches the cgroup)', async () => {
    await ok('apply', '-f', manifest(s, 'oom.yaml', `apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: ${IMAGE}
    resources: {limits: {memory: 20Mi}}
    command: [sh, -c, 'exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=60']
`));
    await until('OOMKilled', async () => (await pod('oom')).status.containerStatuses?.[0].state.terminated?.reason === 'OOMKilled');
  });

  it('skiff killall leaves no container, namespace, link or cgroup of this node behind', async () => {
    await s.stop();
    const agent = JSON.parse(readFileSync(join(dataDir, 'agent', 'agent.json'), 'utf8')) as { cgroupParent: string; netnsPrefix: string; containerRuntime: string };
    assert.equal(agent.containerRuntime, 'crun');
    killallOk(dataDir);
    assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(agent.netnsPrefix)), [], 'no network namespace left');
    for (const controller of ['memory', 'cpu', 'pids']) assert.ok(!existsSync(join('/sys/fs/cgroup', controller, agent.cgroupParent)), `no ${controller} cgroup left`);
    assert.ok(!execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(BRIDGE), `bridge ${BRIDGE} removed`);
    // Controllers moved out of the unified hierarchy for crun are given back, unless other agents'
    // runc containers (e.g. another test file's, running meanwhile) still have cgroups there: then
    // the machine-wide record keeps them for a later killall.
    if (execFileSync('mount', { encoding: 'utf8' }).includes('/sys/fs/cgroup/hugetlb ')) {
      const users = readdirSync('/sys/fs/cgroup/hugetlb', { withFileTypes: true }).filter((e) => e.isDirectory());
      assert.ok(users.length > 0, 'a moved hugetlb hierarchy nobody uses is unmounted by killall');
      assert.match(readFileSync('/run/skiff/cgroup-v1-moved.json', 'utf8'), /hugetlb/, 'a hierarchy still in use stays recorded');
    }
    const procs = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(!procs.includes(dataDir), 'no conmon or container of this data dir remains');
    assert.ok(!procs.split('\n').some((l) => l.trim() === 'httpd -f -p 8080 -h /srv/crun-e2e'), 'no container process remains');
  });
});
