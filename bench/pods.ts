// bench:pods — pod startup latency on the real node, with a plain `runc run` of the same root
// filesystem as the floor, measured in the same run; then the same on crun (`--container-runtime
// crun`, floor `crun run`) when crun is installed. Needs root. Loopback and a test bridge on
// 198.18.48.0/20 only; everything is removed with `skiff killall` after each runtime.
//
// Figures (one JSON line each, per runtime): create → Ready p50/p99 for 1 pod at a time
// (sequential) and for 50 pods created at once; the floor (`<runtime> run -d` of the image's
// rootfs: p50/p99, one at a time and 50 at once); CPU per pod of the batch (skiff: the server, the
// programs it starts and the containers' cgroups; floor: the runtime and its containers), since
// CPU is steadier than wall clock on a shared machine; skiff's RSS (and its process helper's) with
// 50 pods running. Knobs: BENCH_SINGLE, BENCH_BATCH, BENCH_RUNTIMES=runc,crun, BENCH_V=2 with
// BENCH_LOG=FILE (the kubelet's startup trace per pod), BENCH_NODE_ARGS (e.g. --cpu-prof), BENCH_DIR
// (where the data dir is made; default the temp dir), BENCH_TOPDIR=0 (no chattr +T on the data dir
// and the floor's runtime root), BENCH_PERF=1 (CPU of the 50-pod batch by process kind, sampled
// with `perf record -a`: the server, its process helper, the monitors, the runtime, ip, ...;
// BENCH_PERF_DATA=FILE keeps the samples, with call graphs, in FILE.<runtime> for `perf report`;
// BENCH_PERF_HZ the sampling rate, default 997 per CPU),
// BENCH_SKIFF=PATH (the skiff entry point to measure, e.g. another build's dist/src/cli/main.js,
// for alternated before/after runs with one benchmark), BENCH_WARM_POOL=0 (the batch's creates
// open their own TLS connections, see warmPool), BENCH_WARM_BATCH=N (N pods at once started and
// removed before the measured batch, so that it runs on code V8 has already optimized: without
// it the batch's CPU includes TurboFan compiling the hot paths, ~2.5 ms per pod on the server's
// platform threads by perf at BENCH_SINGLE=3). Before the measured batch the benchmark waits
// until the node has removed every earlier pod's sandbox and containers, so their tear-downs
// are not counted in it.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBusyboxArchive } from '../src/images/busybox-archive.js';

import { call, kubeconfigConn, type Conn } from './api-connection.js';
import { sampleCpuByProcess } from './cpu-by-process.js';
import { cgroupCpuMs, CpuCgroup } from './cpu-cgroup.js';
import { processCpuMs, rssMB } from './process-stats.js';

const MAIN = process.env.BENCH_SKIFF ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const SINGLE_RUNS = Number(process.env.BENCH_SINGLE ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 50);
const IMAGE = 'busybox:1.35.0';
/** keep-alive connections the benchmark's requests share */
const POOL_CONNECTIONS = 32;
/** BENCH_RUNTIMES: the OCI runtimes to measure skiff on, each beside its own floor (default runc, and crun when installed) */
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? (existsSync('/usr/bin/crun') ? 'runc,crun' : 'runc')).split(',').filter(Boolean);
/** BENCH_DIR: where the data dir (and the floor's bundle and runtime root) is made; default the OS temp dir */
const BENCH_DIR = process.env.BENCH_DIR ?? tmpdir();

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0);
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: +pct(s, 50).toFixed(1), p99: +pct(s, 99).toFixed(1), max: +(s[s.length - 1] ?? 0).toFixed(1) };
};
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Watches pods with label bench=<run> and resolves each pod's Ready time (performance.now()). */
function watchReady(c: Conn, run: string): { readyAt: Map<string, number>; close(): void } {
  const readyAt = new Map<string, number>();
  let buf = '';
  const req = request(
    { host: '127.0.0.1', port: c.port, path: `/api/v1/namespaces/default/pods?watch=1&labelSelector=bench%3D${run}`, ca: c.ca, servername: 'localhost', headers: { Authorization: `Bearer ${c.token}` } },
    (res) => {
      res.on('data', (d: Buffer) => {
        const now = performance.now();
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { object: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } } };
          const ready = ev.object.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
          if (ready && !readyAt.has(ev.object.metadata.name)) readyAt.set(ev.object.metadata.name, now);
        }
      });
    },
  );
  req.on('error', () => undefined);
  req.end();
  return { readyAt, close: () => req.destroy() };
}

function podBody(name: string, run: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: run } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  });
}

async function startPods(c: Conn, run: string, count: number): Promise<number[]> {
  const w = watchReady(c, run);
  await sleep(200);
  const createdAt = new Map<string, number>();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `${run}-${i}`;
      createdAt.set(name, performance.now());
      const r = await call(c, 'POST', '/api/v1/namespaces/default/pods', podBody(name, run));
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body}`);
    }),
  );
  const deadline = Date.now() + 120_000;
  while (w.readyAt.size < count && Date.now() < deadline) await sleep(20);
  w.close();
  if (w.readyAt.size < count) throw new Error(`only ${w.readyAt.size}/${count} pods became Ready`);
  return [...createdAt].map(([name, t]) => w.readyAt.get(name)! - t);
}

/** Waits until the node's runtime holds no sandbox and no container: earlier pods' tear-downs are over. Throws after 60 s. */
async function waitNodeIdle(dataDir: string): Promise<void> {
  const left = () => ['sandboxes', 'containers'].reduce((n, d) => n + (existsSync(join(dataDir, 'agent', d)) ? readdirSync(join(dataDir, 'agent', d)).length : 0), 0);
  for (let i = 0; i < 600 && left() > 0; i++) await sleep(100);
  if (left() > 0) throw new Error(`the node still holds ${left()} sandboxes and containers of earlier pods after 60 s`);
}

/**
 * Opens the pool's connections before a batch (one GET per connection at once), so the batch's
 * creates go over established connections as a controller's or kubectl's would: otherwise the
 * first 32 creates each wait for a TLS handshake that the server pays for in the batch's CPU
 * (~1 ms per pod) — a client's cost, not pod start-up. undici closes idle connections after 4 s.
 */
async function warmPool(c: Conn, connections: number): Promise<void> {
  if (process.env.BENCH_WARM_POOL === '0') return;
  await Promise.all(Array.from({ length: connections }, () => call(c, 'GET', '/version')));
}

async function deleteRun(c: Conn, run: string): Promise<void> {
  await call(c, 'DELETE', `/api/v1/namespaces/default/pods?labelSelector=bench%3D${run}`, JSON.stringify({ gracePeriodSeconds: 0 }));
  for (let i = 0; i < 600; i++) {
    const r = await call(c, 'GET', `/api/v1/namespaces/default/pods?labelSelector=bench%3D${run}`);
    if ((JSON.parse(r.body) as { items: unknown[] }).items.length === 0) return;
    await sleep(100);
  }
}

/** The floor's OCI bundle: the busybox image's rootfs (read-only), `sleep 3600`, the runtime's default spec. */
function floorBundle(work: string): string {
  const bundle = join(work, 'bundle');
  if (existsSync(join(bundle, 'config.json'))) return bundle;
  const rootfs = join(work, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  const layerDir = join(work, 'archive');
  mkdirSync(layerDir, { recursive: true });
  execFileSync('tar', ['-xf', join(work, 'busybox.tar'), '-C', layerDir]);
  const manifest = JSON.parse(readFileSync(join(layerDir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  for (const l of manifest[0].Layers) execFileSync('tar', ['-xf', join(layerDir, l), '-C', rootfs]);
  mkdirSync(bundle, { recursive: true });
  execFileSync('runc', ['spec', '--rootless=false'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; terminal: boolean }; root: { path: string; readonly: boolean } };
  spec.process.args = ['sleep', '3600'];
  spec.process.terminal = false;
  spec.root = { path: rootfs, readonly: true };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return bundle;
}

/**
 * The floor's runtime root (`--root`), with the ext4 attribute skiff gives the parents of its
 * per-container directories (src/runtime/runc/top-dirs.ts), so both make their files alike.
 */
function floorRoot(work: string, runtime: string): string {
  const root = join(work, `${runtime}-root`);
  if (!existsSync(root)) {
    mkdirSync(root, { recursive: true });
    spreadDir(root);
  }
  return root;
}

/** ext4's top-of-hierarchy attribute on `dir` (`chattr +T`), if the filesystem has it. */
function spreadDir(dir: string): void {
  if (process.env.BENCH_TOPDIR === '0') return;
  try {
    execFileSync('chattr', ['+T', dir], { stdio: 'ignore' });
  } catch {
    /* not ext4: nothing to spread */
  }
}

/** The floor: `<runtime> run -d` of the same busybox rootfs, create → started, one at a time. */
function floorOneAtATime(work: string, runtime: string, runs: number): number[] {
  const bundle = floorBundle(work);
  const root = floorRoot(work, runtime);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const id = `floor-${process.pid}-${i}`;
    const t = performance.now();
    execFileSync(runtime, ['--root', root, 'run', '-d', '--bundle', bundle, id], { stdio: 'ignore' });
    out.push(performance.now() - t);
    execFileSync(runtime, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
  }
  return out;
}

/**
 * The floor for a batch: `count` plain `<runtime> run -d` started at once; each one's time to
 * return, and the CPU they used (this process while it starts them, the runtime, the containers:
 * without a cgroupsPath the runtime puts them below its own cgroup).
 */
async function floorBatch(work: string, runtime: string, count: number): Promise<{ times: number[]; cpuMs: number }> {
  const bundle = floorBundle(work);
  const root = floorRoot(work, runtime);
  const group = new CpuCgroup(`skiff-bench-floor-${process.pid}`);
  group.add(process.pid);
  const ids = Array.from({ length: count }, (_, i) => `floorb-${process.pid}-${i}`);
  try {
    const cpu0 = group.usageMs();
    const t0 = performance.now();
    const times = await Promise.all(
      ids.map(
        (id) =>
          new Promise<number>((resolve, reject) => {
            const p = spawn(runtime, ['--root', root, 'run', '-d', '--bundle', bundle, id], { stdio: 'ignore' });
            p.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${runtime} run ${id} exited ${code}`))));
          }),
      ),
    );
    return { times, cpuMs: group.usageMs() - cpu0 };
  } finally {
    for (const id of ids) {
      try {
        execFileSync(runtime, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
      } catch {
        /* not created */
      }
    }
    group.remove([process.pid]);
  }
}

/** The pid of the process helper the server started (src/runtime/runc/process-helper.ts), if it runs. */
function helperPid(serverPid: number): number | undefined {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === serverPid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('process-helper-main')) return Number(pid);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** RSS and PSS (its share of pages shared with the server, e.g. the node binary) of the process helper `pid`, in MB (0 without one). */
function helperMemoryMB(pid: number | undefined): { processHelperRssMB: number; processHelperPssMB: number } {
  if (pid === undefined) return { processHelperRssMB: 0, processHelperPssMB: 0 };
  try {
    const pss = Number(/Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    return { processHelperRssMB: rssMB(pid), processHelperPssMB: Math.round(pss / 1024) };
  } catch {
    return { processHelperRssMB: 0, processHelperPssMB: 0 };
  }
}

/** One skiff server on `runtime`: 1 pod at a time and a batch at once, each beside its floor. */
async function measure(runtime: string): Promise<void> {
  const dataDir = mkdtempSync(join(BENCH_DIR, 'skiff-bench-pods-'));
  // The data dir is a fresh directory beside whatever else churns in the temp dir; as a top of a
  // hierarchy for ext4 (src/runtime/runc/top-dirs.ts) the server's directories in it are placed in
  // block groups of their own, as in a data dir of its own (~/.skiff), not in the temp dir's group.
  spreadDir(dataDir);
  mkdirSync(join(dataDir, 'agent', 'images'), { recursive: true });
  await writeBusyboxArchive(join(dataDir, 'agent', 'images', 'busybox.tar'));
  writeFileSync(join(dataDir, 'busybox.tar'), readFileSync(join(dataDir, 'agent', 'images', 'busybox.tar')));
  const args = [MAIN, 'server', '--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', '--kubelet-port', '0', '--node-name', 'bench-node', '--pod-bridge', 'skbench0', '--cluster-cidr', '198.18.48.0/20', '--service-cidr', '198.19.208.0/20', ...(runtime === 'runc' ? [] : ['--container-runtime', runtime]), ...(process.env.BENCH_V ? ['--v', process.env.BENCH_V] : [])];
  // BENCH_NODE_ARGS: extra node flags for the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`)
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : [];
  // BENCH_LOG: the server's log (with BENCH_V=2: the kubelet's startup trace per pod) goes to this file (.<runtime> appended)
  const logFile = process.env.BENCH_LOG ? createWriteStream(`${process.env.BENCH_LOG}.${runtime}`) : undefined;
  const proc = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', logFile ? 'pipe' : 'inherit'] });
  // skiff's CPU: the server and every process it starts (helper, ip, conmon, runtime), plus the containers' cgroups
  const group = new CpuCgroup(`skiff-bench-${process.pid}`);
  group.add(proc.pid!);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  if (logFile) proc.stderr!.pipe(logFile);
  const fig = (figure: string, o: Record<string, unknown>) => console.log(JSON.stringify({ runtime, figure, ...o }));
  try {
    const t0 = Date.now();
    while (!/ready on https:\/\/[^:]+:(\d+)/.test(out) || !existsSync(join(dataDir, 'kubeconfig.yaml'))) {
      if (Date.now() - t0 > 30_000) throw new Error(`server did not start:\n${out}`);
      await sleep(20);
    }
    const c: Conn = kubeconfigConn(join(dataDir, 'kubeconfig.yaml'), POOL_CONNECTIONS);
    for (;;) {
      const r = await call(c, 'GET', '/api/v1/nodes/bench-node');
      const node = r.status === 200 ? (JSON.parse(r.body) as { spec?: { podCIDR?: string }; status?: { conditions?: { type: string; status: string }[] } }) : undefined;
      if (node?.spec?.podCIDR && node.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) break;
      if (Date.now() - t0 > 60_000) throw new Error('node not ready');
      await sleep(100);
    }
    const containerCgroup = (JSON.parse(readFileSync(join(dataDir, 'agent', 'agent.json'), 'utf8')) as { cgroupParent: string }).cgroupParent;
    const skiffCpuMs = () => group.usageMs() + cgroupCpuMs(containerCgroup);
    // warm-up: the first pod pays for one-time work (bridge, image rootfs in page cache)
    await startPods(c, 'warm', 1);
    await deleteRun(c, 'warm');

    const single: number[] = [];
    for (let i = 0; i < SINGLE_RUNS; i++) {
      single.push(...(await startPods(c, `one${i}`, 1)));
      await deleteRun(c, `one${i}`);
    }
    const s1 = summary(single);
    const fl = summary(floorOneAtATime(dataDir, runtime, SINGLE_RUNS));
    fig('pod create→Ready, 1 pod at a time', { unit: 'ms', ...s1 });
    fig(`floor: plain ${runtime} run -d of the same rootfs`, { unit: 'ms', ...fl });
    fig(`p50 overhead over plain ${runtime}`, { unit: 'ms', value: +(s1.p50 - fl.p50).toFixed(1) });

    const warmBatch = Number(process.env.BENCH_WARM_BATCH ?? 0);
    if (warmBatch > 0) {
      await startPods(c, 'warmbatch', warmBatch);
      await deleteRun(c, 'warmbatch');
    }
    await waitNodeIdle(dataDir);
    await warmPool(c, POOL_CONNECTIONS);
    const names = new Map<number, string>([[proc.pid!, 'server']]);
    const helper = helperPid(proc.pid!);
    if (helper !== undefined) names.set(helper, 'process helper');
    const keep = process.env.BENCH_PERF_DATA ? `${process.env.BENCH_PERF_DATA}.${runtime}` : undefined;
    const sampling = process.env.BENCH_PERF === '1' ? await sampleCpuByProcess(keep ?? join(dataDir, 'perf.data'), names, { callGraphs: keep !== undefined, keep: keep !== undefined }) : undefined;
    const cpu0 = processCpuMs(proc.pid!);
    const all0 = skiffCpuMs();
    const batch = await startPods(c, 'batch', BATCH);
    const serverCpu = processCpuMs(proc.pid!) - cpu0;
    const allCpu = skiffCpuMs() - all0;
    fig(`pod create→Ready, ${BATCH} pods at once`, { unit: 'ms', ...summary(batch), cpuMsPerPod: +(allCpu / BATCH).toFixed(1), serverCpuMsPerPod: +(serverCpu / BATCH).toFixed(1), load: loadAverage() });
    if (sampling) {
      const perKind = Object.entries(await sampling.stop()).map(([k, ms]) => [k, +(ms / BATCH).toFixed(2)] as const);
      fig(`CPU per pod by process kind, ${BATCH} pods at once (perf samples of the whole machine)`, { unit: 'ms', ...Object.fromEntries(perKind.filter(([, ms]) => ms >= 0.05)) });
    }
    const f = await floorBatch(dataDir, runtime, BATCH);
    fig(`floor: ${BATCH} plain ${runtime} run -d at once`, { unit: 'ms', ...summary(f.times), cpuMsPerPod: +(f.cpuMs / BATCH).toFixed(1), load: loadAverage() });
    await sleep(2000);
    fig(`skiff RSS with ${BATCH} pods running`, { unit: 'MB', value: rssMB(proc.pid!), ...helperMemoryMB(helper ?? helperPid(proc.pid!)) });
    await deleteRun(c, 'batch');
    await c.close();
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    try {
      execFileSync(process.execPath, [MAIN, 'killall', '--data-dir', dataDir], { stdio: 'inherit' });
    } finally {
      group.remove(); // once killall stopped the conmons that were in it
      // again now that this benchmark's own cgroups are gone: a cgroup controller skiff moved to a
      // v1 hierarchy is given back only when no cgroup is left in it
      execFileSync(process.execPath, [MAIN, 'killall', '--data-dir', dataDir], { stdio: 'inherit' });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench:pods needs root (runc containers, network namespaces)');
    process.exit(2);
  }
  for (const runtime of RUNTIMES) await measure(runtime);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
