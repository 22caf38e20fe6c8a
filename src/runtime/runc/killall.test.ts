// killAllContainers on a state dir with running, created and exited containers leaves no runc
// container, mount, cgroup or conmon behind. Needs root, runc, conmon and /bin/busybox.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ContainerConfig } from '../runtime.js';
import { cgroupDirs, isCgroupV2, removeCgroup } from './cgroups.js';
import { isLiveConmon } from './conmon.js';
import { run } from './exec-file.js';
import { killAllContainers } from './killall.js';
import { mountPoints } from './mounts.js';
import { ociRuntimePath } from './oci-runtimes.js';
import { RuncRuntime } from './runc-runtime.js';
import { missingOciRuntime, testOciRuntime } from './testing/oci-runtime.js';
import { buildBusyboxRootfs, busyboxImages } from './testing/busybox-image.js';
import { NetnsNetwork } from './testing/netns-network.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/bin/conmon') ? 'needs conmon' : !existsSync('/bin/busybox') ? 'needs /bin/busybox' : missingOciRuntime();
/** runc, or crun with SKIFF_CONTAINER_RUNTIME=crun */
const runtimePath = ociRuntimePath(testOciRuntime());
const cgroupParent = `skiff-test-killall-${process.pid}`;
const network = new NetnsNetwork('skrn-k');
let dir = '';

after(async () => {
  if (skip || !dir) return;
  await killAllContainers({ stateDir: join(dir, 'agent'), runcRoot: join(dir, 'runc-root'), runcPath: runtimePath, cgroupParent }).catch(() => undefined);
  network.removeAll();
  await removeCgroup(`/${cgroupParent}`);
  rmSync(dir, { recursive: true, force: true });
});

const cfg = (name: string, command: string[]): ContainerConfig => ({ metadata: { name, attempt: 0 }, image: 'busybox', command, labels: {}, annotations: {} });

test('killAllContainers leaves no runc container, conmon, mount or cgroup', { skip }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-killall-'));
  buildBusyboxRootfs(join(dir, 'rootfs'));
  const stateDir = join(dir, 'agent');
  const runcRoot = join(dir, 'runc-root');
  const rt = new RuncRuntime({ stateDir, images: busyboxImages(join(dir, 'rootfs')), network, runcRoot, cgroupParent, podCIDR: '198.18.80.0/24', ociRuntime: testOciRuntime() });
  const sid = await rt.runPodSandbox({ metadata: { name: 'k', namespace: 'default', uid: 'k', attempt: 0 }, hostname: 'k', labels: {}, annotations: {} });
  const running = await rt.createContainer(sid, { ...cfg('running', ['sleep', '1000']), resources: { memoryLimitBytes: 64 << 20, cpuLimitMilli: 500 } });
  await rt.startContainer(running);
  await rt.createContainer(sid, cfg('created', ['sleep', '1000'])); // never started
  const exited = await rt.createContainer(sid, cfg('exited', ['true']));
  await rt.startContainer(exited);
  const conmonPid = Number(readFileSync(join(stateDir, 'containers', running, 'conmon.pid'), 'utf8'));
  assert.equal((await cgroupDirs(`/${cgroupParent}/${running}`)).length > 0, true);
  await rt.close();

  const result = await killAllContainers({ stateDir, runcRoot, runcPath: runtimePath, cgroupParent });
  assert.equal(result.containers.length, 3);
  assert.deepEqual(result.cgroupsLeft, []);
  const listed = await run(runtimePath, ['--root', runcRoot, 'list', '-q']).catch(() => ({ stdout: '' }));
  assert.equal(listed.stdout.trim(), '');
  assert.deepEqual((await mountPoints()).filter((m) => m.startsWith(dir)), []);
  assert.deepEqual(await cgroupDirs(`/${cgroupParent}`), []);
  assert.equal(isLiveConmon(conmonPid), false);
  assert.equal(existsSync(join(stateDir, 'containers')), false);
  // idempotent
  const again = await killAllContainers({ stateDir, runcRoot, runcPath: runtimePath, cgroupParent });
  assert.deepEqual(again.containers, []);
});

test('killAllContainers kills processes left in its cgroups that no runtime knows any more (a lost container)', { skip }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'skiff-killall-lost-'));
  const parent = `skiff-test-lost-${process.pid}`;
  const cg = isCgroupV2() ? join('/sys/fs/cgroup', parent, 'lost') : join('/sys/fs/cgroup', 'pids', parent, 'lost');
  mkdirSync(cg, { recursive: true });
  const child = spawn('/bin/busybox', ['sleep', '1000'], { stdio: 'ignore' });
  try {
    writeFileSync(join(cg, 'cgroup.procs'), String(child.pid));
    const exited = new Promise((r) => child.once('exit', r));
    const result = await killAllContainers({ stateDir: join(base, 'agent'), runcRoot: join(base, 'runc-root'), runcPath: runtimePath, cgroupParent: parent });
    assert.deepEqual(result.containers, []);
    assert.deepEqual(result.stragglers, [child.pid]);
    assert.deepEqual(result.cgroupsLeft, []);
    assert.equal(existsSync(cg), false);
    await exited;
  } finally {
    child.kill('SIGKILL');
    await removeCgroup(`/${parent}`);
    rmSync(base, { recursive: true, force: true });
  }
});
