// bench:net — Services on the real node, each figure beside a baseline measured in the same run.
// Needs root. Pod CIDR 198.18.40.0/22 (one /24 per mode), service CIDR 198.19.200.0/21, bridges
// `sknb0..2`; every server is removed with `skiff killall --data-dir` at the end, also on failure.
//
// 1. HTTP through a ClusterIP vs directly to the pod IPs, per proxy mode (nftables, iptables,
//    userspace: one `skiff server --proxy-mode M` each, run one after the other). A Deployment of
//    2 busybox httpd pods behind a ClusterIP Service. A load generator in a separate process (this
//    file with `load`) keeps BENCH_NET_CLIENTS (default 16) clients busy, each request a new TCP
//    connection + `GET / HTTP/1.0` read to the server's close, 0.5 s warm-up then
//    BENCH_NET_SECONDS (default 5) measured. Direct (the baseline) picks one of the two pod IPs at
//    random per request, as the ClusterIP does. Direct and ClusterIP alternate for
//    BENCH_NET_ROUNDS (default 5) rounds, the order alternating; rps/p50/p99 are the median
//    rounds, the ratio the median of the per-round ratios (each pair back to back). The load
//    generator's CPU use is reported (cpuPct, % of one core) to show whether it was the limit.
//    Then the same BENCH_NET_ROUNDS with both paths loaded at once (two load generators, half the
//    clients each; figure http-rps-ratio-concurrent), which other load on the machine cannot skew.
//    Goals: nftables ≥ 95 % of direct, userspace ≥ 50 % of direct (iptables: no goal, reported).
// 2. EndpointSlice change → rules in place, with BENCH_NET_SERVICES (default 1,000) selector-less
//    Services (2 endpoints each, the two pods) created through the API (32 concurrent creates),
//    nftables and iptables. Then one more Service `probe` with one endpoint; its EndpointSlice is
//    switched between the two pods BENCH_NET_CHANGES (default 20) times. Each time: from the PUT
//    being sent until a new connection to the ClusterIP from the node is answered by the new pod
//    (httpd serves the pod's name), polling with a new connection every ~2 ms (each given 250 ms,
//    so one lost SYN costs at most that, not the kernel's 1 s retransmit). p50/p99/max. Runs before
//    the throughput rounds of its cluster.
//    Goal: p99 < 1 s. The baseline beside it: the same PUT → the change seen on a watch of
//    EndpointSlices by this process (what the API itself costs).
// 3. DNS: bench/dns.ts (skiff's ClusterDNS vs dnsmasq, same records, same run).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBusyboxArchive } from '../src/images/busybox-archive.js';

const SELF = fileURLToPath(import.meta.url);
import { call, kubeconfigConn, type Conn } from './api-connection.js';

const MAIN = join(dirname(SELF), '..', 'src', 'cli', 'main.js');
const SECONDS = Number(process.env.BENCH_NET_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_NET_CLIENTS ?? 16);
const ROUNDS = Number(process.env.BENCH_NET_ROUNDS ?? 5);
const SERVICE_COUNT = Number(process.env.BENCH_NET_SERVICES ?? 1000);
const CHANGES = Number(process.env.BENCH_NET_CHANGES ?? 20);
const ONLY = process.env.BENCH_NET_ONLY?.split(',');
const IMAGE = 'busybox:1.35.0';
const SERVICE_CIDR = '198.19.200.0/21'; // no test uses it (the userspace proxy tests use addresses in 198.18.128.0/17)
const MODES = [
  { mode: 'nftables', cidr: '198.18.40.0/24', bridge: 'sknb0', rpsGoal: 0.95, churn: true },
  { mode: 'iptables', cidr: '198.18.41.0/24', bridge: 'sknb1', rpsGoal: undefined, churn: true },
  { mode: 'userspace', cidr: '198.18.42.0/24', bridge: 'sknb2', rpsGoal: 0.5, churn: false },
] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'net', ...o }));
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: +pct(s, 50).toFixed(1), p99: +pct(s, 99).toFixed(1), max: +(s[s.length - 1] ?? NaN).toFixed(1) };
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---------------------------------------------------------------------------------------------
// The load generator (child process): `node net.js load HOST:PORT[,HOST:PORT…] CLIENTS SECONDS`

interface LoadResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** p99.9 and the mean: a SYN retransmitted after 1 s hides above p99 but shows in the mean */
  p999_ms: number;
  mean_ms: number;
  ok: number;
  errors: number;
  /** error → count (ECONNREFUSED, timeout, …) */
  errorKinds?: Record<string, number>;
  /** the load generator's own CPU use over the measured seconds, % of one core */
  cpuPct: number;
}

const REQUEST = Buffer.from('GET / HTTP/1.0\r\nHost: bench\r\n\r\n');

/** One request on a new connection: resolves true for an HTTP 200 read to the server's close. */
function oneRequest(host: string, port: number, timeoutMs: number): Promise<{ ok: boolean; body: string; error?: string }> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    let error: string | undefined;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      const text = Buffer.concat(chunks).toString();
      const good = ok && text.startsWith('HTTP/1.') && text.slice(9, 12) === '200';
      resolve({ ok: good, body: text.slice(text.indexOf('\r\n\r\n') + 4), error: good ? undefined : (error ?? (ok ? `response ${JSON.stringify(text.slice(0, 12))}` : 'timeout')) });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.setNoDelay(true);
    s.once('connect', () => s.write(REQUEST));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.once('end', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
      done(false);
    });
  });
}

async function loadChild(targetsArg: string, clients: number, seconds: number): Promise<void> {
  const targets = targetsArg.split(',').map((t) => {
    const i = t.lastIndexOf(':');
    return { host: t.slice(0, i), port: Number(t.slice(i + 1)) };
  });
  const BIN_US = 10;
  const hist = new Uint32Array(300_000); // 10 µs bins up to 3 s
  let measuring = false;
  let stop = false;
  let ok = 0;
  let sumMs = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  const worker = async () => {
    while (!stop) {
      const t = targets[Math.floor(Math.random() * targets.length)];
      const t0 = performance.now();
      const r = await oneRequest(t.host, t.port, 3000);
      if (!measuring) continue;
      if (r.ok) {
        ok++;
        sumMs += performance.now() - t0;
        hist[Math.min(hist.length - 1, Math.floor(((performance.now() - t0) * 1000) / BIN_US))]++;
      } else {
        errors++;
        errorKinds[r.error ?? '?'] = (errorKinds[r.error ?? '?'] ?? 0) + 1;
      }
    }
  };
  const workers = Array.from({ length: clients }, worker);
  await sleep(500);
  measuring = true;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  await Promise.all(workers);
  const at = (p: number) => {
    const want = Math.ceil(ok * p);
    let acc = 0;
    for (let i = 0; i < hist.length; i++) if ((acc += hist[i]) >= want) return +(((i + 1) * BIN_US) / 1000).toFixed(2);
    return NaN;
  };
  const result: LoadResult = { rps: Math.round(ok / elapsed), p50_ms: at(0.5), p99_ms: at(0.99), p999_ms: at(0.999), mean_ms: +(sumMs / ok).toFixed(2), ok, errors, errorKinds, cpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const children = new Set<ChildProcess>();

function runLoad(targets: string[], clients = CLIENTS): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, 'load', targets.join(','), String(clients), String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(JSON.parse(text.trim()) as LoadResult);
      else reject(new Error(`load generator exited with ${code}: ${text}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The API



async function must(c: Conn, method: string, path: string, body?: unknown): Promise<any> {
  const r = await call(c, method, path, body);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(stepMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Runs fn over items with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

// ---------------------------------------------------------------------------------------------
// One cluster per mode

interface Cluster {
  dataDir: string;
  proc: ChildProcess;
  conn: Conn;
}

async function startCluster(m: (typeof MODES)[number], clusters: Cluster[]): Promise<Cluster> {
  const dataDir = mkdtempSync(join(tmpdir(), `skiff-bench-net-${m.mode}-`));
  mkdirSync(join(dataDir, 'agent', 'images'), { recursive: true });
  await writeBusyboxArchive(join(dataDir, 'agent', 'images', 'busybox.tar'));
  const node = `bench-net-${m.mode}`;
  const args = [MAIN, 'server', '--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', '--storage', 'memory', '--kubelet-port', '0', '--node-name', node, '--pod-bridge', m.bridge, '--cluster-cidr', m.cidr, '--node-cidr-mask-size', '24', '--service-cidr', SERVICE_CIDR, '--proxy-mode', m.mode];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const cluster: Cluster = { dataDir, proc, conn: undefined as unknown as Conn };
  clusters.push(cluster);
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const port = await until('the server', 30_000, async () => {
    if (proc.exitCode !== null) throw new Error(`server exited:\n${log}`);
    const mm = /ready on https:\/\/[^:]+:(\d+)/.exec(log);
    return mm && existsSync(join(dataDir, 'kubeconfig.yaml')) ? Number(mm[1]) : undefined;
  }, 20).catch((e: Error) => {
    throw new Error(`${e.message}\n${log.slice(-3000)}`);
  });
  const conn: Conn = kubeconfigConn(join(dataDir, 'kubeconfig.yaml'));
  cluster.conn = conn;
  await until('node Ready', 60_000, async () => {
    const n = await must(conn, 'GET', `/api/v1/nodes/${node}`);
    return n.spec?.podCIDR && n.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True');
  });
  await until('default service account', 30_000, async () => (await call(conn, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200);
  return cluster;
}

async function stopCluster(c: Cluster): Promise<void> {
  await c.conn?.close();
  if (c.proc.exitCode === null && c.proc.signalCode === null) {
    const exited = new Promise((r) => c.proc.once('exit', r));
    c.proc.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  }
  try {
    execFileSync(process.execPath, [MAIN, 'killall', '--data-dir', c.dataDir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
  } finally {
    rmSync(c.dataDir, { recursive: true, force: true });
  }
}

interface Web {
  clusterIP: string;
  pods: { ip: string; name: string }[];
}

/** Deployment `web` (2 busybox httpd pods serving their name on 8080) behind Service `web` (80). */
async function deployWeb(c: Conn): Promise<Web> {
  await must(c, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'httpd', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ containerPort: 8080, name: 'http' }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
        },
      },
    },
  });
  const svc = await must(c, 'POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  const pods = await until('2 ready endpoints of web', 120_000, async () => {
    const list = await must(c, 'GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb');
    const eps = list.items.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready !== false);
    return eps.length === 2 ? eps.map((e: any) => ({ ip: e.addresses[0] as string, name: e.targetRef?.name as string })) : undefined;
  }, 250);
  const clusterIP = svc.spec.clusterIP as string;
  // both pods answer directly and through the ClusterIP
  for (const p of pods) await until(`pod ${p.name} answering`, 30_000, async () => (await oneRequest(p.ip, 8080, 1000)).ok);
  await until('the ClusterIP answering', 30_000, async () => (await oneRequest(clusterIP, 80, 1000)).ok);
  return { clusterIP, pods };
}

async function throughput(mode: string, web: Web, goal: number | undefined): Promise<void> {
  const direct: LoadResult[] = [];
  const viaService: LoadResult[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // the order alternates, so a drift in the machine's load favours neither
    const runDirect = async () => direct[direct.push(await runLoad(web.pods.map((p) => `${p.ip}:8080`))) - 1];
    const runService = async () => viaService[viaService.push(await runLoad([`${web.clusterIP}:80`])) - 1];
    let d: LoadResult;
    let s: LoadResult;
    if (round % 2 === 0) {
      d = await runDirect();
      s = await runService();
    } else {
      s = await runService();
      d = await runDirect();
    }
    ratios.push(s.rps / d.rps);
  }
  const fig = (label: string, rs: LoadResult[]) => {
    const f = { rps: median(rs.map((r) => r.rps)), p50_ms: median(rs.map((r) => r.p50_ms)), p99_ms: median(rs.map((r) => r.p99_ms)), p999_ms: median(rs.map((r) => r.p999_ms)), mean_ms: median(rs.map((r) => r.mean_ms)), errors: rs.reduce((a, r) => a + r.errors, 0), errorKinds: Object.assign({}, ...rs.map((r) => r.errorKinds)), roundsRps: rs.map((r) => r.rps), loadgenCpuPct: median(rs.map((r) => r.cpuPct)) };
    out({ figure: 'http-new-connection', mode, path: label, clients: CLIENTS, seconds: SECONDS, ...f });
    return f;
  };
  const d = fig('direct-pod-ip (baseline)', direct);
  const s = fig('cluster-ip', viaService);
  // the median of the per-round ratios (each pair measured back to back), less disturbed by other load than a ratio of medians
  const ratio = +median(ratios).toFixed(3);
  out({ figure: 'http-rps-ratio-cluster-ip-to-direct', mode, ratio, ratioOfMedians: +(s.rps / d.rps).toFixed(3), roundRatios: ratios.map((r) => +r.toFixed(3)), p99_ratio: +(s.p99_ms / d.p99_ms).toFixed(2), goal: goal === undefined ? null : `>= ${goal}`, met: goal === undefined ? null : ratio >= goal });

  // The same comparison with both paths loaded at once (half the clients each, two load
  // generators): a change in the machine's load between two 5 s rounds (other jobs) cannot favour
  // either side, since both see the same seconds.
  const together: { d: LoadResult; s: LoadResult }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const half = Math.max(1, Math.floor(CLIENTS / 2));
    const [dr, sr] = await Promise.all([runLoad(web.pods.map((p) => `${p.ip}:8080`), half), runLoad([`${web.clusterIP}:80`], half)]);
    together.push({ d: dr, s: sr });
  }
  const cr = together.map((x) => x.s.rps / x.d.rps);
  out({ figure: 'http-rps-ratio-concurrent', mode, clientsEach: Math.max(1, Math.floor(CLIENTS / 2)), ratio: +median(cr).toFixed(3), roundRatios: cr.map((r) => +r.toFixed(3)), directRps: together.map((x) => x.d.rps), clusterIpRps: together.map((x) => x.s.rps), p50_ms: { direct: median(together.map((x) => x.d.p50_ms)), clusterIp: median(together.map((x) => x.s.p50_ms)) }, p99_ms: { direct: median(together.map((x) => x.d.p99_ms)), clusterIp: median(together.map((x) => x.s.p99_ms)) }, goal: goal === undefined ? null : `>= ${goal}`, met: goal === undefined ? null : median(cr) >= goal });
}

async function churn(c: Conn, mode: string, web: Web): Promise<void> {
  const [a, b] = web.pods;
  const ready = (ip: string) => ({ addresses: [ip], conditions: { ready: true } });
  const slice = (svc: string, ips: string[]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-bench`, labels: { 'kubernetes.io/service-name': svc, 'endpointslice.kubernetes.io/managed-by': 'bench-net' } },
    addressType: 'IPv4',
    endpoints: ips.map(ready),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
  const service = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  const names = Array.from({ length: SERVICE_COUNT }, (_, i) => `bulk-${i}`);
  const t0 = performance.now();
  const ips = new Map<string, string>();
  await pool(names, 32, async (n) => {
    const s = await must(c, 'POST', '/api/v1/namespaces/default/services', service(n));
    ips.set(n, s.spec.clusterIP);
    await must(c, 'POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice(n, [a.ip, b.ip]));
  });
  const created = performance.now() - t0;
  const last = ips.get(names[names.length - 1])!;
  await until(`the last of ${SERVICE_COUNT} Services answering`, 120_000, async () => (await oneRequest(last, 80, 500)).ok, 50);
  const inPlace = performance.now() - t0;
  out({ figure: 'bulk-services-in-place', mode, services: SERVICE_COUNT, created_ms: Math.round(created), last_reachable_ms: Math.round(inPlace), concurrency: 32 });

  const probe = await must(c, 'POST', '/api/v1/namespaces/default/services', service('probe'));
  let obj = await must(c, 'POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice('probe', [a.ip]));
  const ip = probe.spec.clusterIP as string;
  await until('probe answering', 60_000, async () => (await oneRequest(ip, 80, 500)).body.trim() === a.name, 50);
  // a watch on EndpointSlices: when this process sees each change (the API's share)
  const seen = new Map<string, number>();
  let buf = '';
  const watch = request({ host: '127.0.0.1', port: c.port, path: `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=1&fieldSelector=metadata.name%3Dprobe-bench&resourceVersion=${obj.metadata.resourceVersion}`, ca: c.ca, servername: 'localhost', headers: { Authorization: `Bearer ${c.token}` } }, (res) => {
    res.on('data', (d: Buffer) => {
      const now = performance.now();
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) seen.set((JSON.parse(line) as any).object.metadata.resourceVersion, now);
      }
    });
  });
  watch.on('error', () => undefined);
  watch.end();
  await sleep(300);
  const latencies: number[] = [];
  const apiSeen: number[] = [];
  let polls = 0;
  try {
    for (let i = 0; i < CHANGES; i++) {
      const to = i % 2 === 0 ? b : a;
      const sent = performance.now();
      obj = await must(c, 'PUT', `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/probe-bench`, { ...obj, endpoints: [ready(to.ip)] });
      for (;;) {
        polls++;
        const r = await oneRequest(ip, 80, 250);
        if (r.ok && r.body.trim() === to.name) break;
        if (performance.now() - sent > 30_000) throw new Error(`probe did not switch to ${to.name} within 30 s`);
        await sleep(2);
      }
      latencies.push(performance.now() - sent);
      await sleep(50);
      const w = seen.get(obj.metadata.resourceVersion);
      if (w !== undefined) apiSeen.push(w - sent);
      await sleep(200 + Math.random() * 300);
    }
  } finally {
    watch.destroy();
  }
  const s = summary(latencies);
  out({ figure: 'endpointslice-change-to-reachable', mode, services: SERVICE_COUNT + 2, unit: 'ms', ...s, polls, goal: 'p99 < 1000', met: s.p99 < 1000 });
  out({ figure: 'endpointslice-change-to-watch-event (baseline: the API alone)', mode, unit: 'ms', ...summary(apiSeen) });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench:net needs root (runc containers, network namespaces, proxy rules)');
    process.exit(2);
  }
  out({ node: process.version, cpus: cpus().length, loadavg: loadavg().map((x) => +x.toFixed(2)), clients: CLIENTS, seconds: SECONDS, rounds: ROUNDS, services: SERVICE_COUNT, changes: CHANGES });
  const clusters: Cluster[] = [];
  let failed = false;
  const onSignal = () => {
    for (const ch of children) ch.kill('SIGKILL');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const m of MODES) {
      if (ONLY && !ONLY.includes(m.mode)) continue;
      const cluster = await startCluster(m, clusters);
      try {
        const web = await deployWeb(cluster.conn);
        // for experiments by hand: keep the cluster up for a while (`node dist/bench/net.js load …`)
        if (process.env.BENCH_NET_HOLD_MS) {
          out({ hold: Number(process.env.BENCH_NET_HOLD_MS), mode: m.mode, web });
          await sleep(Number(process.env.BENCH_NET_HOLD_MS));
        }
        // churn first, on pods without tens of thousands of TIME_WAIT sockets from the throughput
        // rounds (these once made node → ClusterIP connections meet 1 s SYN retransmits, when the
        // proxy masqueraded them; the order keeps the rule latency apart from any such effect)
        if (m.churn) await churn(cluster.conn, m.mode, web);
        await throughput(m.mode, web, m.rpsGoal);
      } finally {
        clusters.splice(clusters.indexOf(cluster), 1);
        await stopCluster(cluster);
      }
    }
  } catch (e) {
    failed = true;
    console.error(e);
  } finally {
    for (const ch of children) ch.kill('SIGKILL');
    for (const c of clusters) await stopCluster(c).catch((e: unknown) => console.error(e));
  }
  if (!ONLY || ONLY.includes('dns')) {
    const { runDnsBench } = await import('./dns.js');
    await runDnsBench();
  }
  out({ done: true, loadavg: loadavg().map((x) => +x.toFixed(2)) });
  if (failed) process.exit(1);
}

if (process.argv[2] === 'load') await loadChild(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
else await main();
