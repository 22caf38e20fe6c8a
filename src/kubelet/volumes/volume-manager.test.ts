// The volume plugins writing real files in a temp dir: configMap/secret (items, modes, optional,
// updates visible), downwardAPI, projected, emptyDir (tmpfs when root), hostPath type checks,
// failures as FailedMount, teardown.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ConfigMap, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { StaticPodObjects } from '../pod-objects.js';
import { tmpfsSize } from './empty-dir.js';
import { checkHostPathType } from './host-path.js';
import { mountsUnder } from './mounts.js';
import { VolumeManager } from './volume-manager.js';
import { containerMounts } from './volume-mounts.js';
import { VolumeSetUpError } from './volume-plugin.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-vol-'));
  t.after(async () => {
    for (const m of await mountsUnder(dir)) execFileSync('umount', [m]);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

function pod(volumes: Volume[], uid = 'uid-1'): Pod {
  return {
    metadata: { namespace: 'ns', name: 'p', uid, labels: { b: '2', a: 'x"y' }, annotations: { note: 'n' } },
    spec: { containers: [{ name: 'app', resources: { limits: { memory: '32Mi' } } }], volumes },
  };
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

test('configMap, secret, downwardAPI and projected volumes: files, items, modes; updates seen through the same path', async (t) => {
  const dir = await tempDir(t);
  const cm: ConfigMap = { metadata: { namespace: 'ns', name: 'cfg' }, data: { 'app.conf': 'v1', other: 'o' } };
  const objects = new StaticPodObjects({ configMaps: [cm], secrets: [{ metadata: { namespace: 'ns', name: 's' }, data: { pw: b64('secret') } }] });
  const vm = new VolumeManager({ podsDir: dir, objects, hostIP: '198.18.0.10', allocatable: () => ({ memory: '1Gi' }) });
  const p = pod([
    { name: 'cfg', configMap: { name: 'cfg' } },
    { name: 'some', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }], defaultMode: 0o444 } },
    { name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } },
    { name: 'opt', configMap: { name: 'absent', optional: true } },
    { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }, { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } }] } },
    {
      name: 'all',
      projected: {
        sources: [
          { configMap: { name: 'cfg', items: [{ key: 'other', path: 'o' }] } },
          { secret: { name: 's' } },
          { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          { serviceAccountToken: { path: 'token' } },
        ],
      },
    },
  ]);
  const vols = await vm.setUp(p);
  const root = join(dir, 'uid-1', 'volumes');
  assert.deepEqual(vols.get('cfg'), { hostPath: join(root, 'kubernetes.io~configmap', 'cfg'), readOnly: true });
  assert.equal(await readFile(join(root, 'kubernetes.io~configmap/cfg/app.conf'), 'utf8'), 'v1');
  assert.equal(await mode(join(root, 'kubernetes.io~configmap/cfg/app.conf')), 0o644);
  assert.equal(await readFile(join(root, 'kubernetes.io~configmap/some/conf/app.conf'), 'utf8'), 'v1');
  assert.equal(await mode(join(root, 'kubernetes.io~configmap/some/conf/app.conf')), 0o600);
  await assert.rejects(lstat(join(root, 'kubernetes.io~configmap/some/other')));
  assert.equal(await readFile(join(root, 'kubernetes.io~secret/sec/pw'), 'utf8'), 'secret');
  assert.equal(await mode(join(root, 'kubernetes.io~secret/sec/pw')), 0o400);
  assert.equal((await stat(join(root, 'kubernetes.io~configmap/opt'))).isDirectory(), true, 'optional and missing: an empty directory');
  assert.equal(await readFile(join(root, 'kubernetes.io~downward-api/info/labels'), 'utf8'), 'a="x\\"y"\nb="2"');
  assert.equal(await readFile(join(root, 'kubernetes.io~downward-api/info/name'), 'utf8'), 'p');
  assert.equal(await readFile(join(root, 'kubernetes.io~downward-api/info/mem'), 'utf8'), '32');
  assert.equal(await readFile(join(root, 'kubernetes.io~projected/all/o'), 'utf8'), 'o');
  assert.equal(await readFile(join(root, 'kubernetes.io~projected/all/pw'), 'utf8'), 'secret');
  assert.equal(await readFile(join(root, 'kubernetes.io~projected/all/ns'), 'utf8'), 'ns');

  // An update of the ConfigMap reaches the same path on the next setUp (pod resync).
  (cm.data as Record<string, string>)['app.conf'] = 'v2';
  await vm.setUp(p);
  assert.equal(await readFile(join(root, 'kubernetes.io~configmap/cfg/app.conf'), 'utf8'), 'v2');

  // Mounts for a container: subPath, readOnly forced for API data volumes.
  const mounts = await containerMounts(
    { name: 'app', volumeMounts: [{ name: 'cfg', mountPath: '/etc/app' }, { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' }] },
    vols,
  );
  assert.deepEqual(mounts, [
    { containerPath: '/etc/app', hostPath: join(root, 'kubernetes.io~configmap/cfg'), readOnly: true },
    { containerPath: '/etc/app.conf', hostPath: join(root, 'kubernetes.io~configmap/cfg/app.conf'), readOnly: true },
  ]);
  await assert.rejects(containerMounts({ name: 'app', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, vols), /cannot find volume "nope" to mount into container "app"/);
  await assert.rejects(containerMounts({ name: 'app', volumeMounts: [{ name: 'cfg', mountPath: '/x', subPath: '../../etc' }] }, vols), /must not contain/);

  await vm.tearDown('uid-1');
  await assert.rejects(lstat(join(dir, 'uid-1')), 'the pod directory is gone');
  await vm.tearDown('uid-1'); // idempotent
});

test('missing ConfigMap, Secret or key (not optional): VolumeSetUpError with Kubernetes wording', async (t) => {
  const dir = await tempDir(t);
  const objects = new StaticPodObjects({ configMaps: [{ metadata: { namespace: 'ns', name: 'cfg' }, data: { a: '1' } }] });
  const vm = new VolumeManager({ podsDir: dir, objects, hostIP: '198.18.0.10', allocatable: () => ({}) });
  const cases: [Volume, string][] = [
    [{ name: 'v', configMap: { name: 'x' } }, 'MountVolume.SetUp failed for volume "v" : configmap "x" not found'],
    [{ name: 'v', secret: { secretName: 'x' } }, 'MountVolume.SetUp failed for volume "v" : secret "x" not found'],
    [{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'b', path: 'b' }] } }, 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: b'],
    [{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }, 'MountVolume.SetUp failed for volume "v" : volume type persistentVolumeClaim is not supported on this node'],
  ];
  for (const [v, message] of cases) {
    await assert.rejects(vm.setUp(pod([v])), (e: unknown) => e instanceof VolumeSetUpError && e.reason === 'FailedMount' && e.message === message, message);
  }
});

test('emptyDir: a 0777 directory of the pod; subPath made inside it', async (t) => {
  const dir = await tempDir(t);
  const vm = new VolumeManager({ podsDir: dir, objects: new StaticPodObjects({}), hostIP: '198.18.0.10', allocatable: () => ({}) });
  const vols = await vm.setUp(pod([{ name: 'scratch', emptyDir: {} }]));
  const path = join(dir, 'uid-1/volumes/kubernetes.io~empty-dir/scratch');
  assert.deepEqual(vols.get('scratch'), { hostPath: path, readOnly: false });
  assert.equal(await mode(path), 0o777);
  await writeFile(join(path, 'kept'), 'x');
  await vm.setUp(pod([{ name: 'scratch', emptyDir: {} }]));
  assert.equal(await readFile(join(path, 'kept'), 'utf8'), 'x', 'a resync keeps the contents');
  const mounts = await containerMounts({ name: 'app', volumeMounts: [{ name: 'scratch', mountPath: '/data', subPath: 'a/b', readOnly: true }] }, vols);
  assert.deepEqual(mounts, [{ containerPath: '/data', hostPath: join(path, 'a/b'), readOnly: true }]);
  assert.equal((await stat(join(path, 'a/b'))).isDirectory(), true);
  await vm.tearDown('uid-1');
  await assert.rejects(lstat(join(dir, 'uid-1')));
});

test('tmpfs size: the smallest of sizeLimit, the pod memory limit (all containers limited) and allocatable', () => {
  const p = (limits: (string | undefined)[]): Pod => ({ spec: { containers: limits.map((m, i) => ({ name: `c${i}`, ...(m ? { resources: { limits: { memory: m } } } : {}) })) } });
  assert.equal(tmpfsSize(p([undefined]), undefined, undefined), undefined);
  assert.equal(tmpfsSize(p([undefined]), undefined, '1Gi'), 1024 ** 3);
  assert.equal(tmpfsSize(p(['32Mi', '32Mi']), undefined, '1Gi'), 64 * 1024 ** 2);
  assert.equal(tmpfsSize(p(['32Mi', undefined]), undefined, '1Gi'), 1024 ** 3, 'an unlimited container: no pod limit');
  assert.equal(tmpfsSize(p(['32Mi']), '8Mi', '1Gi'), 8 * 1024 ** 2);
});

test('emptyDir medium Memory: a tmpfs of sizeLimit, unmounted on teardown', { skip: process.getuid?.() !== 0 ? 'needs root (mount)' : false }, async (t) => {
  const dir = await tempDir(t);
  const vm = new VolumeManager({ podsDir: dir, objects: new StaticPodObjects({}), hostIP: '198.18.0.10', allocatable: () => ({}) });
  const vols = await vm.setUp(pod([{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }])); // the pod's limit is 32Mi
  const path = vols.get('mem')!.hostPath;
  const info = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === path);
  assert.ok(info, 'mounted');
  assert.match(info, / - tmpfs tmpfs .*size=8192k/);
  await vm.setUp(pod([{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }]));
  assert.equal((await mountsUnder(dir)).length, 1, 'a resync does not mount twice');
  await vm.tearDown('uid-1');
  assert.deepEqual(await mountsUnder(dir), []);
  await assert.rejects(lstat(join(dir, 'uid-1')));
});

test('hostPath type checks (and *OrCreate making what is missing)', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'd'));
  await writeFile(join(dir, 'f'), '');
  const sock = join(dir, 's.sock');
  const server = createServer();
  await new Promise<void>((r) => server.listen(sock, r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  // A character device of our own when root (a shared /dev/null may be replaced by other tests on the machine).
  let chr = '/dev/null';
  if (process.getuid?.() === 0) {
    chr = join(dir, 'null');
    execFileSync('mknod', [chr, 'c', '1', '3']);
  }
  const ok: [string, string][] = [
    [join(dir, 'd'), 'Directory'],
    [join(dir, 'f'), 'File'],
    [sock, 'Socket'],
    [chr, 'CharDevice'],
    [join(dir, 'nothing'), ''],
    [join(dir, 'new/dir'), 'DirectoryOrCreate'],
    [join(dir, 'newfile'), 'FileOrCreate'],
  ];
  for (const [p, type] of ok) await checkHostPathType(p, type);
  assert.equal((await stat(join(dir, 'new/dir'))).isDirectory(), true);
  assert.equal((await stat(join(dir, 'newfile'))).isFile(), true);
  const bad: [string, string, string][] = [
    [join(dir, 'f'), 'Directory', 'is not a directory'],
    [join(dir, 'missing'), 'Directory', 'is not a directory'],
    [join(dir, 'd'), 'File', 'is not a file'],
    [join(dir, 'f'), 'Socket', 'is not a socket file'],
    [join(dir, 'f'), 'CharDevice', 'is not a character device'],
    [chr, 'BlockDevice', 'is not a block device'],
    [join(dir, 'f'), 'DirectoryOrCreate', 'is not a directory'],
    [join(dir, 'd'), 'FileOrCreate', 'is not a file'],
  ];
  for (const [p, type, what] of bad) await assert.rejects(checkHostPathType(p, type), { message: `hostPath type check failed: ${p} ${what}` });

  const vm = new VolumeManager({ podsDir: join(dir, 'pods'), objects: new StaticPodObjects({}), hostIP: '198.18.0.10', allocatable: () => ({}) });
  const vols = await vm.setUp(pod([{ name: 'h', hostPath: { path: join(dir, 'd'), type: 'Directory' } }]));
  assert.deepEqual(vols.get('h'), { hostPath: join(dir, 'd'), readOnly: false });
  await assert.rejects(vm.setUp(pod([{ name: 'h', hostPath: { path: join(dir, 'f'), type: 'Directory' } }])), {
    message: `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(dir, 'f')} is not a directory`,
  });
  await vm.tearDown('uid-1');
  assert.equal((await stat(join(dir, 'd'))).isDirectory(), true, 'teardown never touches hostPath volumes');
});
