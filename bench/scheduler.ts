// bench:scheduler — the scheduler, the controller manager and simulated kubelets at scale, in one
// `skiff server` (SQLite store) per scenario. Prints one JSON line per figure. Loopback only.
//
// Scenarios (each in a fresh server with a temp data dir, removed afterwards):
//   deployments — BENCH_PODS / BENCH_REPLICAS Deployments of BENCH_REPLICAS replicas, created at once;
//   pods        — BENCH_PODS bare pods POSTed at concurrency 32;
// each on every node count of BENCH_NODES (the smaller one is the baseline for how cost grows).
//
// Figures per scenario: pods bound/s (first create → last binding seen), pods Running/s (first
// create → last pod Running), scheduling latency p50/p99, peak RSS of the server, CPU seconds
// (all threads; the main thread alone: the API server's event loop; the busiest other thread: the
// control loops' worker thread when it runs; the rest; each also per pod), and the
// API requests the run caused (from the server's /metrics), to see where writes go.
// Progress is measured through ONE watch on the namespace's pods (from the resourceVersion of an
// initial list), timed on arrival in this process; scheduling latency is "pod first seen on the
// watch → spec.nodeName first seen on the watch" (the API's timestamps have whole seconds only).
//
// Knobs: BENCH_NODES (comma list, default 100,1000), BENCH_PODS (default 10000), BENCH_REPLICAS
// (per Deployment, default 100), BENCH_SCENARIOS (default deployments,pods), BENCH_TIME_LIMIT_S
// (per scenario, default 600), BENCH_CPU_PROF_DIR (when set, the server runs with --cpu-prof and
// writes its profile to <dir>/<scenario>-<nodes>n/), BENCH_SERVER_NODE_ARGS (extra Node flags for
// the server, space-separated, e.g. --max-old-space-size=768), BENCH_SERVER_LOG_DIR (when set, the
// server's whole stdout and stderr go to <dir>/<scenario>-<nodes>n.log, e.g. with --trace-gc), BENCH_SERVER_ARGS (extra `skiff server`
// flags, space-separated, e.g. --no-control-loops-thread: the control loops on the API thread; they run in a worker thread by default with simulated nodes),
// BENCH_WARMUP (default 0: a cold server, as the issue measures; N > 0: before the measured run,
// the same scenario with N pods runs to Running in namespace `warmup`, whose pods stay, so the
// figures are of a server whose code V8 has already compiled: its steady state), BENCH_ROUNDS
// (default 1: each scenario once; N > 1: N rounds through every node count and scenario, each
// run's figures, then a `rounds` line per scenario with the median, min and max of its runs).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { call, kubeconfigConn, type Conn, type Reply } from './api-connection.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

function intList(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (!list.length || !list.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`${name}: expected positive integers separated by commas, got "${raw}"`);
  return list;
}

const NODE_COUNTS = intList('BENCH_NODES', '100,1000');
const [PODS] = intList('BENCH_PODS', '10000');
const [REPLICAS] = intList('BENCH_REPLICAS', '100');
const [TIME_LIMIT_S] = intList('BENCH_TIME_LIMIT_S', '600');
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'deployments,pods').split(',').map((s) => s.trim());
for (const s of SCENARIOS) if (s !== 'deployments' && s !== 'pods') throw new Error(`BENCH_SCENARIOS: expected "deployments" and/or "pods", got "${s}"`);
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF_DIR;
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const SERVER_ARGS = (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
const SERVER_LOG_DIR = process.env.BENCH_SERVER_LOG_DIR;
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0);
const [ROUNDS] = intList('BENCH_ROUNDS', '1');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_ROUNDS: expected a positive integer, got "${process.env.BENCH_ROUNDS}"`);
if (!Number.isInteger(WARMUP) || WARMUP < 0) throw new Error(`BENCH_WARMUP: expected a non-negative integer, got "${process.env.BENCH_WARMUP}"`);

/** Bare pod creates in flight at once. */
const CONCURRENCY = 32;
const NAMESPACE = 'bench';
const WARMUP_NAMESPACE = 'warmup';
/** Pod and Service CIDRs inside 198.18.0.0/15 (reserved for benchmarking); simulated nodes' own IPs start at 198.19.0.1. */
const CLUSTER_CIDR = '198.18.0.0/16';
const SERVICE_CIDR = '198.19.128.0/17';
/** How long the server may take to start and register its nodes, and to get them all Ready. */
const STARTUP_LIMIT_MS = 180_000;
const RSS_SAMPLE_MS = 250;
const CLOCK_TICKS = 100; // USER_HZ of /proc/PID/stat on Linux

type Scenario = 'deployments' | 'pods';




async function mustCall(c: Conn, method: string, path: string, want: number, body?: unknown): Promise<Reply> {
  const r = await call(c, method, path, body);
  if (r.status !== want) throw new Error(`${method} ${path}: expected ${want}, got ${r.status} ${r.body.slice(0, 500)}`);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The median of sorted values (the mean of the middle two for an even count). */
function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : round((sorted[mid - 1]! + sorted[mid]!) / 2, 2);
}

function pct(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// Workload

const CONTAINER = {
  name: 'app',
  image: 'registry.k8s.io/pause:3.9',
  resources: { requests: { cpu: '100m', memory: '128Mi' } },
};

function barePod(i: number): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, labels: { app: 'bench-bare' } },
    spec: { containers: [CONTAINER] },
  };
}

function deployment(i: number, replicas: number): unknown {
  const labels = { app: `web-${i}` };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `web-${i}`, labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [CONTAINER] } } },
  };
}

/** Runs op(0..total-1) with `concurrency` in flight; resolves when all are done. */
async function runAll(total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      for (let i = next++; i < total; i = next++) await op(i);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The server

interface Server {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly conn: Conn;
  readonly dataDir: string;
  readonly startupMs: number;
  readonly exited: Promise<void>;
}


interface NodeNetwork {
  /** prefix length of each node's podCIDR */
  readonly maskSize: number;
  /** pod IPs in one podCIDR (network, gateway and broadcast addresses excluded) */
  readonly podIPs: number;
}

/** The largest podCIDRs (at most /24) of which CLUSTER_CIDR holds one per node. */
function nodeNetwork(nodes: number): NodeNetwork {
  const clusterPrefix = Number(CLUSTER_CIDR.split('/')[1]);
  const maskSize = Math.max(24, clusterPrefix + Math.ceil(Math.log2(nodes)));
  if (maskSize > 29) throw new Error(`${CLUSTER_CIDR} cannot give ${nodes} nodes a podCIDR each: expected at most ${2 ** (29 - clusterPrefix)} nodes`);
  return { maskSize, podIPs: 2 ** (32 - maskSize) - 3 };
}

/** Pods a simulated node takes by default (its `pods` capacity). */
const DEFAULT_NODE_PODS = 110;

/** Starts `skiff server` with `nodes` simulated nodes; resolves once its API is ready (the nodes are registered by then). */
async function startServer(nodes: number, label: string): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-sched-'));
  const nodeArgs = [...SERVER_NODE_ARGS];
  if (CPU_PROF_DIR) {
    const dir = join(CPU_PROF_DIR, label);
    mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const net = nodeNetwork(nodes);
  const args = [
    ...nodeArgs,
    MAIN,
    'server',
    '--disable-agent',
    '--data-dir',
    dataDir,
    '--port',
    '0',
    '--bind',
    '127.0.0.1',
    '--storage',
    'sqlite',
    '--simulated-nodes',
    String(nodes),
    '--cluster-cidr',
    CLUSTER_CIDR,
    '--service-cidr',
    SERVICE_CIDR,
    '--node-cidr-mask-size',
    String(net.maskSize),
    // a node never takes more pods than its podCIDR has IPs
    ...(net.podIPs < DEFAULT_NODE_PODS ? ['--simulated-node-capacity', `pods=${net.podIPs}`] : []),
    ...SERVER_ARGS,
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (SERVER_LOG_DIR) {
    mkdirSync(SERVER_LOG_DIR, { recursive: true });
    const log = createWriteStream(join(SERVER_LOG_DIR, `${label}.log`));
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
  }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  // a bench that dies (an error, a closed stdout) takes its server along instead of leaving it running
  const orphanGuard = () => void proc.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exited.then(() => process.off('exit', orphanGuard));
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // The server logs little at -v 0; pass the first lines on, count the rest.
  let logLines = 0;
  proc.stderr!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      if (++logLines <= 20) process.stderr.write(`[server ${label}] ${line}\n`);
      else if (logLines === 21) process.stderr.write(`[server ${label}] (further log lines suppressed)\n`);
    }
  });
  const server = { proc, pid: proc.pid!, dataDir, exited };
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const t0 = Date.now();
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  while (!/ready on https:\/\/[^:]+:(\d+)/.test(out) || !existsSync(kubeconfig)) {
    if (exitedEarly || Date.now() - t0 > STARTUP_LIMIT_MS) {
      await stopServer(server);
      throw new Error(`server (${nodes} nodes) did not start within ${STARTUP_LIMIT_MS} ms:\n${out}`);
    }
    await sleep(20);
  }
  return { ...server, conn: kubeconfigConn(kubeconfig, CONCURRENCY), startupMs: Number(/\((\d+) ms\)/.exec(out)?.[1] ?? 0) };
}

/** Stops the server this benchmark started (by its PID only) and removes its data dir. */
async function stopServer(s: { proc: ChildProcess; dataDir: string; exited: Promise<void>; conn?: Conn }): Promise<void> {
  await s.conn?.close();
  if (s.proc.exitCode === null && s.proc.signalCode === null) {
    s.proc.kill('SIGTERM');
    // a CPU profile is written on exit: give it time before SIGKILL
    const killed = await Promise.race([s.exited.then(() => false), sleep(30_000).then(() => true)]);
    if (killed) {
      s.proc.kill('SIGKILL');
      await s.exited;
    }
  }
  rmSync(s.dataDir, { recursive: true, force: true });
}

interface ProcStats {
  readonly rssMB: number;
  readonly hwmMB: number;
  /** every thread of the process */
  readonly cpuS: number;
  /** the main thread alone (the API server's event loop) */
  readonly mainThreadCpuS: number;
  /** CPU seconds of each thread by thread id */
  readonly threadCpuS: ReadonlyMap<number, number>;
}

/** utime + stime of a /proc stat file, in seconds. */
function statCpuS(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // fields after the ")" closing comm: state is field 3, utime 14, stime 15
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
}

function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  const threadCpuS = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threadCpuS.set(Number(tid), statCpuS(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended meanwhile
    }
  }
  return { rssMB: Math.round(kb('VmRSS') / 1024), hwmMB: Math.round(kb('VmHWM') / 1024), cpuS: statCpuS(`/proc/${pid}/stat`), mainThreadCpuS: statCpuS(`/proc/${pid}/task/${pid}/stat`), threadCpuS };
}

/**
 * CPU seconds between two snapshots: of the busiest thread other than the main one (the control
 * loops' worker thread, when it runs: every thread of a Node process is named "node") and of all
 * the others (V8's GC helpers, libuv's pool: fsync, ...).
 */
function otherThreadsCpuS(pid: number, before: ProcStats, after: ProcStats): { busiest: number; rest: number; each: number[] } {
  const deltas: number[] = [];
  for (const [tid, s] of after.threadCpuS) if (tid !== pid) deltas.push(s - (before.threadCpuS.get(tid) ?? 0));
  deltas.sort((a, b) => b - a);
  return { busiest: deltas[0] ?? 0, rest: deltas.slice(1).reduce((a, b) => a + b, 0), each: deltas };
}

/** Samples the server's RSS every RSS_SAMPLE_MS until stopped; the kernel's VmHWM is the true peak. */
class RssSampler {
  maxMB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.sample();
  }

  sample(): ProcStats | undefined {
    try {
      const s = procStats(this.pid);
      this.maxMB = Math.max(this.maxMB, s.rssMB);
      return s;
    } catch {
      return undefined; // the process is gone
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface NodeList {
  items: { metadata: { name: string }; spec?: { podCIDR?: string; taints?: { key: string; effect: string }[] }; status?: { conditions?: { type: string; status: string }[] } }[];
}

/** Waits until `count` nodes exist, each Ready with a podCIDR and without the not-ready taint. Setup only: polls the list once a second. */
async function waitForNodes(c: Conn, count: number, deadline: number): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    const list = JSON.parse((await mustCall(c, 'GET', '/api/v1/nodes', 200)).body) as NodeList;
    // Ready, with a pod CIDR, and without the not-ready taint a node is created with (schedulable)
    const ready = list.items.filter(
      (n) => n.spec?.podCIDR && n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && !n.spec.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready'),
    ).length;
    if (list.items.length >= count && ready >= count) return;
    last = `${list.items.length} nodes, ${ready} Ready and untainted with a podCIDR`;
    await sleep(1000);
  }
  throw new Error(`expected ${count} Ready and untainted nodes with a podCIDR, got ${last}`);
}

interface RequestCounts {
  /** `verb resource code` → requests */
  readonly requests: Map<string, number>;
  readonly revision: number;
}

/** The API server's own counters (GET /metrics): requests by verb, resource and code, and the store revision. */
async function requestCounts(c: Conn): Promise<RequestCounts> {
  const text = (await mustCall(c, 'GET', '/metrics', 200)).body;
  const requests = new Map<string, number>();
  for (const m of text.matchAll(/^apiserver_request_total\{verb="([^"]*)",resource="([^"]*)",code="(\d+)"\} (\d+)$/gm)) {
    requests.set(`${m[1]} ${m[2]} ${m[3]}`, Number(m[4]));
  }
  return { requests, revision: Number(/^etcd_current_revision (\d+)$/m.exec(text)?.[1] ?? 0) };
}

/** What happened between two snapshots: requests by `verb resource` (2xx), failures by `verb resource code`. */
function requestDelta(before: RequestCounts, after: RequestCounts): { revisions: number; ok: Record<string, number>; failed: Record<string, number> } {
  const ok = new Map<string, number>();
  const failed = new Map<string, number>();
  for (const [k, n] of after.requests) {
    const d = n - (before.requests.get(k) ?? 0);
    if (!d) continue;
    const [verb, resource, code] = k.split(' ') as [string, string, string];
    if (code.startsWith('2')) ok.set(`${verb} ${resource}`, (ok.get(`${verb} ${resource}`) ?? 0) + d);
    else failed.set(k, d);
  }
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
  return { revisions: after.revision - before.revision, ok: sorted(ok), failed: sorted(failed) };
}

// ---------------------------------------------------------------------------------------------
// Progress, through one watch on the namespace's pods

interface WatchedPod {
  readonly metadata: { readonly name: string; readonly resourceVersion?: string };
  readonly spec?: { readonly nodeName?: string };
  readonly status?: { readonly phase?: string };
}

interface WatchEvent {
  readonly type: string;
  readonly object: WatchedPod & { readonly code?: number };
}

/**
 * The parts of a watch event line PodProgress reads, found by string search in the API's JSON of
 * a bare bench pod (resourceVersion first in metadata, then name; nodeName and phase only in spec
 * and status) instead of parsing all of it: the load generator shares the server's two cores, and
 * JSON.parse of every event was about a quarter of its CPU. Lines that do not look like that
 * (ERROR, BOOKMARK, a ReplicaSet's pods, whose metadata starts with generateName, any surprise)
 * are parsed.
 */
function skimEvent(line: string): WatchEvent {
  const type = /^\{"type":"(ADDED|MODIFIED|DELETED)","object":\{/.exec(line)?.[1];
  const meta = line.indexOf('"metadata":{"resourceVersion":"');
  const named = type && meta > 0 ? /^"metadata":\{"resourceVersion":"(\d+)","name":"([^"\\]+)"/.exec(line.slice(meta, meta + 200)) : null;
  if (!type || !named) return JSON.parse(line) as WatchEvent;
  const nodeName = /"nodeName":"([^"\\]+)"/.exec(line)?.[1];
  const phase = /"phase":"([A-Za-z]+)"/.exec(line)?.[1];
  return { type, object: { metadata: { resourceVersion: named[1], name: named[2]! }, spec: { nodeName }, status: { phase } } };
}

/** First arrival times (performance.now()) of each pod's states, as the watch reports them. */
class PodProgress {
  readonly seen = new Map<string, number>();
  readonly bound = new Map<string, number>();
  readonly running = new Map<string, number>();
  readonly nodeOf = new Map<string, string>();
  events = 0;
  reconnects = 0;
  private rv = '';
  private stopped = false;
  private current: { destroy(): void } | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly c: Conn,
    private readonly path: string,
  ) {}

  /** Lists, then watches from the list's resourceVersion; resolves once the watch is connected. */
  async start(): Promise<void> {
    await this.relist();
    let connected!: () => void;
    const first = new Promise<void>((r) => (connected = r));
    this.loop = (async () => {
      while (!this.stopped) {
        const gone = await this.watchOnce(connected).catch(() => false);
        if (this.stopped) return;
        this.reconnects++;
        if (gone) await this.relist().catch(() => sleep(500));
        else await sleep(100);
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`watch on ${this.path} did not connect within 10 s`)), 10_000)));
    try {
      await Promise.race([first, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.destroy();
    await this.loop;
  }

  private observe(p: WatchedPod, at: number): void {
    const name = p.metadata.name;
    if (!this.seen.has(name)) this.seen.set(name, at);
    const node = p.spec?.nodeName;
    if (node && !this.bound.has(name)) {
      this.bound.set(name, at);
      this.nodeOf.set(name, node);
    }
    if (p.status?.phase === 'Running' && !this.running.has(name)) this.running.set(name, at);
  }

  private async relist(): Promise<void> {
    const list = JSON.parse((await mustCall(this.c, 'GET', this.path, 200)).body) as { metadata: { resourceVersion: string }; items: WatchedPod[] };
    const at = performance.now();
    for (const p of list.items) this.observe(p, at);
    this.rv = list.metadata.resourceVersion;
  }

  /** One watch connection; resolves true when the server said 410 Gone (relist), false when the stream ended. */
  private watchOnce(connected: () => void): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.c.port,
          path: `${this.path}?watch=true&allowWatchBookmarks=true&resourceVersion=${this.rv}`,
          ca: this.c.ca,
          servername: 'localhost',
          agent: false,
          headers: { Authorization: `Bearer ${this.c.token}`, Accept: 'application/json' },
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`watch: expected 200, got ${res.statusCode}`));
            return;
          }
          connected();
          res.setEncoding('utf8');
          let buf = '';
          let gone = false;
          res.on('data', (d: string) => {
            buf += d;
            const at = performance.now();
            let from = 0;
            let nl: number;
            while ((nl = buf.indexOf('\n', from)) >= 0) {
              const line = buf.slice(from, nl);
              from = nl + 1;
              if (!line.trim()) continue;
              const ev = skimEvent(line);
              this.events++;
              if (ev.type === 'ERROR') {
                gone = ev.object.code === 410;
                continue;
              }
              if (ev.object.metadata.resourceVersion) this.rv = ev.object.metadata.resourceVersion;
              if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.observe(ev.object, at);
            }
            buf = buf.slice(from);
          });
          res.on('end', () => resolve(gone));
          res.on('error', () => resolve(gone));
          res.on('close', () => resolve(gone));
        },
      );
      this.current = req;
      req.on('error', reject);
      req.end();
    });
  }
}

/** Waits (bounded) until `done()`; checks the watch's state in this process, not the API. */
async function until(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// One scenario

/** Creates the scenario's workload of `pods` pods in `namespace`; resolves when every create was acknowledged. */
async function createWorkload(c: Conn, scenario: Scenario, namespace: string, pods: number): Promise<void> {
  if (scenario === 'pods') {
    await runAll(pods, CONCURRENCY, async (i) => void (await mustCall(c, 'POST', `/api/v1/namespaces/${namespace}/pods`, 201, barePod(i))));
    return;
  }
  const deployments = Math.ceil(pods / REPLICAS);
  await runAll(deployments, CONCURRENCY, async (i) => {
    const replicas = Math.min(REPLICAS, pods - i * REPLICAS);
    await mustCall(c, 'POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, 201, deployment(i, replicas));
  });
}

/** The scenario with WARMUP pods in its own namespace, run until all are Running (the pods stay); then a second's pause. */
async function warmUp(c: Conn, scenario: Scenario, deadline: number): Promise<{ ms: number; perSecond: number }> {
  await mustCall(c, 'POST', '/api/v1/namespaces', 201, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: WARMUP_NAMESPACE } });
  const progress = new PodProgress(c, `/api/v1/namespaces/${WARMUP_NAMESPACE}/pods`);
  await progress.start();
  const t0 = performance.now();
  try {
    await createWorkload(c, scenario, WARMUP_NAMESPACE, WARMUP);
    if (!(await until(() => progress.running.size >= WARMUP, performance.now() + Math.max(0, deadline - Date.now())))) {
      throw new Error(`warm-up: ${progress.running.size} of ${WARMUP} pods Running before the start-up limit`);
    }
  } finally {
    await progress.stop();
  }
  const ms = performance.now() - t0;
  await sleep(1000);
  return { ms: Math.round(ms), perSecond: Math.round(WARMUP / (ms / 1000)) };
}

function emit(scenario: Scenario, nodes: number, figure: string, values: object): void {
  console.log(JSON.stringify({ bench: 'scheduler', scenario, nodes, pods: PODS, figure, ...values }));
}

/** The figures of one run that the rounds' summary takes the median of. */
interface RunFigures {
  readonly boundPerSecond: number;
  readonly runningPerSecond: number;
  readonly peakRssMB: number;
  readonly serverCpuPerPodMs: number;
}

async function runScenario(scenario: Scenario, nodes: number): Promise<RunFigures> {
  const label = `${scenario}-${nodes}n`;
  const server = await startServer(nodes, label);
  const rss = new RssSampler(server.pid);
  const c = server.conn;
  let progress: PodProgress | undefined;
  try {
    const setupDeadline = Date.now() + STARTUP_LIMIT_MS;
    await waitForNodes(c, nodes, setupDeadline);
    const setup = rss.sample();
    const net = nodeNetwork(nodes);
    emit(scenario, nodes, 'startup', { apiReadyMs: server.startupMs, nodeCIDRMaskSize: net.maskSize, podsPerNode: Math.min(net.podIPs, DEFAULT_NODE_PODS), rssMB: setup?.rssMB, cpuS: setup?.cpuS, loadavg1m: round(loadavg()[0]!, 2) });

    if (WARMUP) {
      const warm = await warmUp(c, scenario, setupDeadline);
      emit(scenario, nodes, 'warmup', { pods: WARMUP, runningMs: warm.ms, perSecond: warm.perSecond });
    }
    await mustCall(c, 'POST', '/api/v1/namespaces', 201, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    progress = new PodProgress(c, `/api/v1/namespaces/${NAMESPACE}/pods`);
    await progress.start();

    const requests0 = await requestCounts(c);
    const stats0 = procStats(server.pid);
    const { cpuS: cpu0, mainThreadCpuS: mainCpu0 } = stats0;
    const benchCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + TIME_LIMIT_S * 1000;
    await createWorkload(c, scenario, NAMESPACE, PODS);
    const createsAckedMs = performance.now() - t0;
    const p = progress;
    const allBound = await until(() => p.bound.size >= PODS, deadline);
    const allRunning = allBound && (await until(() => p.running.size >= PODS, deadline));
    const stats = procStats(server.pid);
    const benchCpu = process.cpuUsage(benchCpu0);
    rss.stop();
    const requests1 = await requestCounts(c);

    const last = (m: Map<string, number>) => {
      let max = 0;
      for (const v of m.values()) max = Math.max(max, v);
      return max - t0;
    };
    const rate = (count: number, ms: number) => (ms > 0 ? Math.round(count / (ms / 1000)) : 0);
    const complete = (ok: boolean) => (ok ? {} : { complete: false, timeLimitS: TIME_LIMIT_S });

    emit(scenario, nodes, 'created', { pods: p.seen.size, createsAckedMs: Math.round(createsAckedMs), lastPodSeenMs: Math.round(last(p.seen)), perSecond: rate(p.seen.size, last(p.seen)) });
    emit(scenario, nodes, 'bound', { pods: p.bound.size, ms: Math.round(last(p.bound)), perSecond: rate(p.bound.size, last(p.bound)), ...complete(allBound) });
    emit(scenario, nodes, 'running', { pods: p.running.size, ms: Math.round(last(p.running)), perSecond: rate(p.running.size, last(p.running)), ...complete(allRunning) });

    const latencies: number[] = [];
    for (const [name, at] of p.bound) latencies.push(at - (p.seen.get(name) ?? at));
    latencies.sort((a, b) => a - b);
    emit(scenario, nodes, 'scheduling-latency', {
      basis: 'watch: pod first seen -> spec.nodeName first seen',
      pods: latencies.length,
      p50Ms: round(pct(latencies, 50)),
      p99Ms: round(pct(latencies, 99)),
      maxMs: round(latencies[latencies.length - 1] ?? 0),
    });

    const perNode = new Map<string, number>();
    for (const n of p.nodeOf.values()) perNode.set(n, (perNode.get(n) ?? 0) + 1);
    const counts = [...perNode.values()];
    emit(scenario, nodes, 'spread', { nodesUsed: perNode.size, minPerNode: counts.length ? Math.min(...counts) : 0, maxPerNode: counts.length ? Math.max(...counts) : 0 });

    emit(scenario, nodes, 'rss', { peakMB: stats.hwmMB, sampledMaxMB: rss.maxMB, endMB: stats.rssMB });
    const threads = otherThreadsCpuS(server.pid, stats0, stats);
    const perPodMs = (s: number) => round((s * 1000) / PODS, 2);
    emit(scenario, nodes, 'cpu', {
      wallS: round((performance.now() - t0) / 1000, 2),
      serverCpuS: round(stats.cpuS - cpu0, 2),
      serverMainThreadCpuS: round(stats.mainThreadCpuS - mainCpu0, 2),
      serverBusiestOtherThreadCpuS: round(threads.busiest, 2),
      serverRestCpuS: round(threads.rest, 2),
      serverOtherThreadsCpuS: threads.each.filter((x) => x >= 0.01).map((x) => round(x, 2)),
      perPodMs: { server: perPodMs(stats.cpuS - cpu0), mainThread: perPodMs(stats.mainThreadCpuS - mainCpu0), busiestOtherThread: perPodMs(threads.busiest), rest: perPodMs(threads.rest), bench: perPodMs((benchCpu.user + benchCpu.system) / 1e6) },
      benchCpuS: round((benchCpu.user + benchCpu.system) / 1e6, 2),
      watchEvents: p.events,
      watchReconnects: p.reconnects,
      loadavg1m: round(loadavg()[0]!, 2),
    });
    emit(scenario, nodes, 'requests', requestDelta(requests0, requests1));
    return {
      boundPerSecond: rate(p.bound.size, last(p.bound)),
      runningPerSecond: rate(p.running.size, last(p.running)),
      peakRssMB: stats.hwmMB,
      serverCpuPerPodMs: perPodMs(stats.cpuS - cpu0),
    };
  } finally {
    rss.stop();
    await progress?.stop();
    await stopServer(server);
  }
}

console.log(
  JSON.stringify({ bench: 'scheduler', node: process.version, cpus: cpus().length, loadavg1m: round(loadavg()[0]!, 2), nodes: NODE_COUNTS, pods: PODS, warmupPods: WARMUP, replicas: REPLICAS, scenarios: SCENARIOS, timeLimitS: TIME_LIMIT_S, serverNodeArgs: SERVER_NODE_ARGS, serverArgs: SERVER_ARGS }),
);
let failures = 0;
// Rounds go through every node count and scenario in turn, so that a slow spell of the machine
// (these VMs vary by a quarter from one minute to the next) is shared by all of them.
const results = new Map<string, RunFigures[]>();
for (let r = 1; r <= ROUNDS; r++) {
  if (ROUNDS > 1) console.log(JSON.stringify({ bench: 'scheduler', round: r, of: ROUNDS }));
  for (const nodes of NODE_COUNTS) {
    for (const scenario of SCENARIOS as Scenario[]) {
      try {
        const figures = await runScenario(scenario, nodes);
        const key = `${scenario} ${nodes}`;
        results.set(key, [...(results.get(key) ?? []), figures]);
      } catch (e) {
        failures++;
        console.log(JSON.stringify({ bench: 'scheduler', scenario, nodes, pods: PODS, figure: 'error', message: e instanceof Error ? e.message : String(e) }));
      }
    }
  }
}
if (ROUNDS > 1) {
  for (const [key, runs] of results) {
    const [scenario, nodes] = key.split(' ') as [Scenario, string];
    const summary = (pick: (f: RunFigures) => number) => {
      const v = runs.map(pick).sort((a, b) => a - b);
      return { median: median(v), min: v[0], max: v[v.length - 1], all: runs.map(pick) };
    };
    emit(scenario, Number(nodes), 'rounds', {
      runs: runs.length,
      boundPerSecond: summary((f) => f.boundPerSecond),
      runningPerSecond: summary((f) => f.runningPerSecond),
      peakRssMB: summary((f) => f.peakRssMB),
      serverCpuPerPodMs: summary((f) => f.serverCpuPerPodMs),
    });
  }
}
process.exitCode = failures ? 1 : 0;
