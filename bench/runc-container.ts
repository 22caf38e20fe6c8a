// Container start latency of the runc runtime (createContainer + startContainer, sandbox ready,
// image present) against the floor: a plain `runc run -d` of the same OCI config on the same
// rootfs (no conmon, no overlay). Needs root, runc, conmon, /bin/busybox. Prints JSON lines.
//   node dist/bench/runc-container.js [N sequential containers] [P pods at once]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCgroup } from '../src/runtime/runc/cgroups.js';
import { killAllContainers } from '../src/runtime/runc/killall.js';
import { RuncRuntime } from '../src/runtime/runc/runc-runtime.js';
import { buildBusyboxRootfs, busyboxImages } from '../src/runtime/runc/testing/busybox-image.js';
import { NetnsNetwork } from '../src/runtime/runc/testing/netns-network.js';

const n = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-runc-'));
const cgroupParent = `skiff-bench-${process.pid}`;
const network = new NetnsNetwork('skrn-b');
const stateDir = join(dir, 'agent');
const runcRoot = join(dir, 'runc-root');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
}

try {
  buildBusyboxRootfs(join(dir, 'rootfs'));
  const rt = new RuncRuntime({ stateDir, images: busyboxImages(join(dir, 'rootfs')), network, runcRoot, cgroupParent, podCIDR: '198.18.80.0/24' });
  const sid = await rt.runPodSandbox({ metadata: { name: 'bench', namespace: 'default', uid: 'bench', attempt: 0 }, hostname: 'bench', labels: {}, annotations: {} });
  const skiff: number[] = [];
  let lastId = '';
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const id = await rt.createContainer(sid, { metadata: { name: `c${i}`, attempt: 0 }, image: 'busybox', command: ['sleep', '1000'], labels: {}, annotations: {} });
    await rt.startContainer(id);
    skiff.push(performance.now() - t0);
    lastId = id;
  }
  // the floor: the same config.json, root = the image rootfs itself, started by `runc run -d`
  const spec = JSON.parse(readFileSync(join(stateDir, 'containers', lastId, 'config.json'), 'utf8'));
  const plain: number[] = [];
  for (let i = 0; i < n; i++) {
    const bundle = join(dir, `plain-${i}`);
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...spec, root: { path: join(dir, 'rootfs'), readonly: true }, linux: { ...spec.linux, cgroupsPath: `/${cgroupParent}/plain-${i}` } }));
    const t0 = performance.now();
    const r = spawnSync('runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, `plain-${i}`], { stdio: 'ignore' });
    plain.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`runc run -d failed (${r.status})`);
  }
  console.log(JSON.stringify({ bench: 'runc-container-start', n, skiffP50Ms: pct(skiff, 50), skiffP99Ms: pct(skiff, 99), plainRuncP50Ms: pct(plain, 50), plainRuncP99Ms: pct(plain, 99), overheadP50Ms: Math.round((pct(skiff, 50) - pct(plain, 50)) * 10) / 10 }));
  // 50 pods at once: sandbox (netns, UTS/IPC namespaces, files) + one container each
  const pods = Number(process.argv[3] ?? 50);
  const t0 = performance.now();
  const each = await Promise.all(
    Array.from({ length: pods }, async (_, i) => {
      const s0 = performance.now();
      const psid = await rt.runPodSandbox({ metadata: { name: `p${i}`, namespace: 'default', uid: `p${i}`, attempt: 0 }, hostname: `p${i}`, labels: {}, annotations: {} });
      const id = await rt.createContainer(psid, { metadata: { name: 'c', attempt: 0 }, image: 'busybox', command: ['sleep', '1000'], labels: {}, annotations: {} });
      await rt.startContainer(id);
      return performance.now() - s0;
    }),
  );
  console.log(JSON.stringify({ bench: 'runc-pods-at-once', pods, podP50Ms: pct(each, 50), podP99Ms: pct(each, 99), allMs: Math.round(performance.now() - t0), rssMB: Math.round(process.memoryUsage().rss / 1048576) }));
  await rt.close();
} finally {
  await killAllContainers({ stateDir, runcRoot, cgroupParent });
  network.removeAll();
  await removeCgroup(`/${cgroupParent}`);
  rmSync(dir, { recursive: true, force: true });
}
