// bench:api — API server throughput and latency on SQLite, with the memory driver as the
// baseline in the same run. Prints one JSON line per figure. Loopback only.
//
// Figures: pod creates/s and p50/p99 at concurrency 1 and 32; GETs/s and p50/p99 at 1 and 32;
// time to list every pod (BENCH_PODS, more when wrk made more); watch delivery latency (p50/p99)
// with 100 watchers, read by the C watch client (bench/watch-client.ts; `watch-100`) and then by
// node:https in this process (`watch-100-node`); server RSS. After 1,000 unmeasured creates (the
// server's warm-up), creates at concurrency 32 are measured twice: with undici, the Node client
// the other figures use (`create-c32-undici`, 1,500 pods), then with wrk (bench/wrk.ts, a C load
// generator that leaves the server most of the two cores; the `create-c32` figure, 3 s).
// Knobs: BENCH_PODS (default 10000), BENCH_STORAGES (default memory,sqlite), BENCH_SERVER_NODE_ARGS
// (extra Node flags for the server), BENCH_WRK_SECONDS (how long wrk creates pods; default 3).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { call, kubeconfigConn, type Conn } from './api-connection.js';
import { processCpuMs, rssMB } from './process-stats.js';
import { nowMs, startCWatchers, startNodeWatchers, watchClientBinary, type Watchers, type WatchTarget } from './watch-client.js';
import { haveWrk, runWrk } from './wrk.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const PODS = Number(process.env.BENCH_PODS ?? 10_000);
/** How long the server is left idle before RSS is read a second time (BENCH_RSS_IDLE_MS, default 2 s). */
const RSS_IDLE_MS = Number(process.env.BENCH_RSS_IDLE_MS ?? 2000);
/** Extra Node flags for the server, space-separated (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Stores to run, in order (default memory then sqlite). */
const STORAGES = (process.env.BENCH_STORAGES ?? 'memory,sqlite').split(',').map((s) => s.trim()) as ('sqlite' | 'memory')[];
/** How long wrk creates pods at concurrency 32, seconds (the rest of BENCH_PODS are created with undici). */
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 3);
const WRK = haveWrk();
/** Creates at concurrency 32 before any c32 figure (the server's JIT warm-up). */
const WARM_UP = 1000;
/** Pods created at concurrency 32 with undici before wrk runs (its figure); the GETs read them. */
const UNDICI_C32 = 1500;
if (PODS < 500 + WARM_UP + UNDICI_C32) throw new Error(`BENCH_PODS: at least ${500 + WARM_UP + UNDICI_C32}`);

function pod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', tier: 'web' }, annotations: { 'bench/index': name } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          command: ['httpd', '-f', '-p', '8080'],
          ports: [{ containerPort: 8080, name: 'http' }],
          env: [{ name: 'MODE', value: 'bench' }],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 5 },
        },
      ],
    },
  });
}

/** A full garbage collection of this process (V8's gc, made reachable without --expose-gc). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface LoadFigures {
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU time per operation, ms: the server's and this load generator's (both share the machine's cores) */
  serverCpuMs: number;
  clientCpuMs: number;
}

/** Runs `total` ops with `concurrency` in flight; `server` is the server's pid, for its CPU time. */
async function runLoad(server: number, total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<LoadFigures> {
  const lat: number[] = [];
  let next = 0;
  const server0 = processCpuMs(server);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = performance.now();
        await op(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(client0);
  const serverCpuMs = +((processCpuMs(server) - server0) / total).toFixed(3);
  const clientCpuMs = +((client.user + client.system) / 1000 / total).toFixed(3);
  lat.sort((a, b) => a - b);
  return { perSecond: Math.round(total / secs), p50: +pct(lat, 50).toFixed(2), p99: +pct(lat, 99).toFixed(2), serverCpuMs, clientCpuMs };
}

/** Watch delivery: 100 watchers of configmaps, 200 creates 5 ms apart; latency p50/p99 and CPU per write. */
async function watchLatency(c: Conn, server: number, prefix: string, start: (t: WatchTarget) => Promise<Watchers>) {
  const writes = 200;
  const rv = (JSON.parse((await call(c, 'GET', '/api/v1/namespaces/default/configmaps?limit=1')).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const watchers = await start({ port: c.port, ca: c.ca, token: c.token, path: `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, watchers: 100 });
  const server0 = processCpuMs(server);
  const client0 = process.cpuUsage();
  const external0 = watchers.externalCpuMs();
  for (let i = 0; i < writes; i++) {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `w${prefix}-${i}`, annotations: { sent: String(nowMs()) } } });
    const r = await call(c, 'POST', '/api/v1/namespaces/default/configmaps', body);
    if (r.status !== 201) throw new Error(`watch test create: ${r.status} ${r.body}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 500));
  const client = process.cpuUsage(client0);
  const clientCpuMs = (client.user + client.system) / 1000 + watchers.externalCpuMs() - external0;
  const serverCpuMs = processCpuMs(server) - server0;
  const latencies = (await watchers.stop()).sort((a, b) => a - b);
  if (latencies.length !== writes * 100) throw new Error(`watch: ${latencies.length} events arrived, expected ${writes * 100}`);
  // CPU per write: the server's, and the watchers' and the writer's together
  return { events: latencies.length, p50: +pct(latencies, 50).toFixed(2), p99: +pct(latencies, 99).toFixed(2), max: +latencies[latencies.length - 1].toFixed(1), serverCpuMsPerWrite: +(serverCpuMs / writes).toFixed(2), clientCpuMsPerWrite: +(clientCpuMs / writes).toFixed(2) };
}

async function benchStorage(storage: 'sqlite' | 'memory'): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `skiff-bench-${storage}-`));
  const proc = spawn(process.execPath, [...SERVER_NODE_ARGS, MAIN, 'server', '--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', '--disable-agent', '--disable-controllers', '--cluster-cidr', '198.18.0.0/17', '--service-cidr', '198.18.128.0/17', '--storage', storage], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const t0 = Date.now();
  while (!/ready on https:\/\/[^:]+:(\d+)/.test(out) || !existsSync(kubeconfig)) {
    if (Date.now() - t0 > 20_000) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const startupMs = Number(/\((\d+) ms\)/.exec(out)?.[1] ?? 0);
  const c: Conn = kubeconfigConn(kubeconfig, 64);
  const emit = (figure: string, values: object) => console.log(JSON.stringify({ bench: 'api', storage, figure, ...values }));
  try {
    emit('startup', { ms: startupMs });
    const base = '/api/v1/namespaces/default/pods';
    const create = async (name: string) => {
      const r = await call(c, 'POST', base, pod(name));
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body}`);
    };
    /** how many pods the store holds (a list of one: its remainingItemCount) */
    const storedPods = async () => {
      const r = JSON.parse((await call(c, 'GET', `${base}?limit=1`)).body) as { items: unknown[]; metadata: { remainingItemCount?: number } };
      return r.items.length + (r.metadata.remainingItemCount ?? 0);
    };
    emit('create-c1', await runLoad(proc.pid!, 500, 1, (i) => create(`c1-${i}`)));
    // 1,000 creates at c32, unmeasured: V8 compiles the create path's hot code during its first
    // ~1,000 creates (server CPU per create ~1.2 ms, then ~0.45), so that both c32 figures below
    // are a warm server's, as c1's is a cold one's
    await runLoad(proc.pid!, WARM_UP, 32, (i) => create(`warm-${i}`));
    // undici at c32 (its figure), then wrk for WRK_SECONDS
    const undiciCount = WRK ? UNDICI_C32 : PODS - 500 - WARM_UP;
    emit(WRK ? 'create-c32-undici' : 'create-c32', { client: 'undici', requests: undiciCount, ...(await runLoad(proc.pid!, undiciCount, 32, (i) => create(`c32-${i}`))) });
    if (WRK) {
      const server0 = processCpuMs(proc.pid!);
      const w = await runWrk({ port: c.port, token: c.token, path: base, bodyParts: pod('@NAME@').split('@NAME@'), prefix: 'w', connections: 32, seconds: WRK_SECONDS, dir: dataDir });
      if (w.non2xx > 0 || w.socketErrors > 0) throw new Error(`wrk: ${w.non2xx} of ${w.requests} creates failed, ${w.socketErrors} socket errors or timeouts`);
      emit('create-c32', { client: 'wrk', requests: w.requests, perSecond: w.perSecond, p50: w.p50, p99: w.p99, serverCpuMs: +((processCpuMs(proc.pid!) - server0) / w.requests).toFixed(3), clientCpuMs: w.clientCpuMs });
      // Up to BENCH_PODS, the rest are made with undici (unmeasured); when wrk made more, the
      // store keeps them: the list and RSS figures name the count. Counted with limit=1 (the
      // list's remainingItemCount), after creates wrk left in flight have landed.
      await new Promise((r) => setTimeout(r, 200));
      await runLoad(proc.pid!, Math.max(0, PODS - (await storedPods())), 32, (i) => create(`fill-${i}`));
    }
    // GETs read pods undici made (never deleted)
    const some = (i: number, n: number) => `c32-${i % Math.min(n, undiciCount)}`;
    const get = async (name: string) => {
      const r = await call(c, 'GET', `${base}/${name}`);
      if (r.status !== 200) throw new Error(`get ${name}: ${r.status} ${r.body}`);
    };
    emit('get-c1', await runLoad(proc.pid!, 2000, 1, (i) => get(some(i, 1000))));
    emit('get-c32', await runLoad(proc.pid!, 10000, 32, (i) => get(some(i, 5000))));
    const lists: number[] = [];
    let count = 0;
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      const r = await call(c, 'GET', base);
      lists.push(performance.now() - s);
      count = (JSON.parse(r.body) as { items: unknown[] }).items.length;
    }
    lists.sort((a, b) => a - b);
    emit('list-pods', { items: count, p50: +pct(lists, 50).toFixed(1), max: +lists[lists.length - 1].toFixed(1) });

    // This process parsed five 10,000-pod lists just now: its own full collection, due soon,
    // would pause it while events arrive and count as delivery latency. Collect it beforehand.
    collectGarbage();

    // 100 watchers; each write's `sent` timestamp (an annotation) is compared with its arrival.
    // First in the C watch client (the headline figure), then in this process with node:https.
    const cWatchClient = watchClientBinary();
    if (cWatchClient) emit('watch-100', { watchers: 'C (bench/watch-client.c)', ...(await watchLatency(c, proc.pid!, 'c', (t) => startCWatchers(cWatchClient, t, dataDir))) });
    emit(cWatchClient ? 'watch-100-node' : 'watch-100', { watchers: 'node:https in the bench process', ...(await watchLatency(c, proc.pid!, 'n', startNodeWatchers)) });
    // V8's heap as /metrics reports it, next to the process's RSS
    const heapFigures = async () => {
      const metrics = (await call(c, 'GET', '/metrics')).body;
      const gauge = (name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0) / 2 ** 20);
      return { heapTotalMB: gauge('nodejs_heap_size_total_bytes'), heapUsedMB: gauge('nodejs_heap_size_used_bytes'), externalMB: gauge('nodejs_external_memory_bytes'), newSpaceMB: gauge('nodejs_heap_space_size_total_bytes\\{space="new"\\}'), oldSpaceMB: gauge('nodejs_heap_space_size_total_bytes\\{space="old"\\}') };
    };
    const rss = rssMB(proc.pid!);
    emit('rss', { mb: rss, pods: await storedPods(), ...(await heapFigures()) });
    // and once the server has been idle for RSS_IDLE_MS (it gives memory back when it goes quiet)
    await new Promise((r) => setTimeout(r, RSS_IDLE_MS));
    const idleRss = rssMB(proc.pid!);
    emit('rss-idle', { afterMs: RSS_IDLE_MS, mb: idleRss, ...(await heapFigures()) });
  } finally {
    await c.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const os = await import('node:os');
console.log(JSON.stringify({ bench: 'api', node: process.version, cpus: os.cpus().length, loadavg1m: os.loadavg()[0], pods: PODS, serverNodeArgs: SERVER_NODE_ARGS, loadGenerator: WRK ? 'wrk (creates at c32), undici' : 'undici (wrk not installed)' }));
for (const s of STORAGES) await benchStorage(s);
