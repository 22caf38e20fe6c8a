// bench:dns — cluster DNS queries/s and latency (p50/p99) for cluster names, skiff's ClusterDNS
// against dnsmasq serving the same records on 127.0.0.1, in one run. Prints one JSON line per
// figure. Loopback only; nothing is sent off the machine.
//
// Setup: BENCH_DNS_SERVICES ClusterIP Services (default 1,000) in 10 namespaces. skiff's server
// runs in a child process with a FakeClient holding those Services (its informers, zone and
// sockets are the production code; only the API is in memory); dnsmasq (Debian's dnsmasq-base)
// gets the same names from an --addn-hosts file, with --local=/DOMAIN/ so it is authoritative
// for the zone. Each server gets one CPU (taskset -c 1), the load generator the other (CPU 0),
// when taskset exists.
//
// Load: one UDP socket keeping BENCH_DNS_WINDOW (default 200) queries outstanding,
// A questions over all the names in a shuffled order, 0.5 s warm-up then BENCH_DNS_SECONDS
// (default 2) measured; a query unanswered after 1 s counts as lost and is replaced. The servers
// take turns, BENCH_DNS_ROUNDS (default 5) rounds; each figure is the median round. The generator
// reads and writes its socket in batches through skiff's addon (native/udp-batch) when it is
// built, so that a generator paying node:dgram's per-datagram cost is not what limits the faster
// servers (a node:dgram socket otherwise; the first line says which).
// Servers: skiff (its response cache on, UDP batched through the addon), skiff-dgram (the same
// on node:dgram, the fallback), skiff-no-response-cache (batched), dnsmasq, and node-udp-echo (a
// node:dgram socket that sends each query straight back: the floor of any DNS server written on
// node:dgram, with the serving socket's lookup as ClusterDNS has it; its wrongRcode counts every
// reply, as an echo is no answer). BENCH_DNS_SERVERS=skiff,dnsmasq runs only those.
// Each line also gives the server's CPU time per query (/proc/PID/stat; sys_us_per_query is its
// kernel part), which other load on the machine does not distort the way it distorts queries/s.
// Figures: cluster-A (existing names) and search-path-NXDOMAIN (NAME.NS.svc.DOMAIN.NS.svc.DOMAIN,
// what a pod's resolver tries first with ndots:5).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { FakeClient } from '../src/client/fake-client.js';
import { ClusterDNS, literalAddressLookup, SERVICES, type UdpIO } from '../src/dns/server.js';
import { loadUdpBatch } from '../src/dns/udp-batch.js';

const SERVICE_COUNT = Number(process.env.BENCH_DNS_SERVICES ?? 1000);
const WINDOW = Number(process.env.BENCH_DNS_WINDOW ?? 200);
const SECONDS = Number(process.env.BENCH_DNS_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_DNS_ROUNDS ?? 5);
const NAMESPACES = 10;
const DOMAIN = 'cluster.local';
const SELF = fileURLToPath(import.meta.url);
const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => existsSync(p));
/** label, response cache size (or the echo floor), UDP layer; BENCH_DNS_SERVERS=label,label picks some */
const SKIFF_SERVERS = (
  [
    ['skiff', 10_000, 'batched'],
    ['skiff-dgram', 10_000, 'dgram'],
    ['skiff-no-response-cache', 0, 'batched'],
    ['node-udp-echo', 'echo', 'dgram'],
  ] as const
).filter(([label]) => !process.env.BENCH_DNS_SERVERS || process.env.BENCH_DNS_SERVERS.split(',').includes(label));
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p)) && cpus().length > 1;

interface Record_ {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
}

function records(): Record_[] {
  return Array.from({ length: SERVICE_COUNT }, (_, i) => ({ namespace: `ns-${i % NAMESPACES}`, name: `svc-${i}`, ip: `198.19.${(i >> 8) & 255}.${i & 255}` }));
}

const fqdn = (r: Record_) => `${r.name}.${r.namespace}.svc.${DOMAIN}`;

/** Child process: the floor of any Node.js UDP server — sends each datagram straight back. */
async function serveEcho(): Promise<void> {
  // the serving socket's lookup, as ClusterDNS has it (no tick and regex per answer)
  const s = createSocket({ type: 'udp4', lookup: literalAddressLookup });
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  process.stdout.write(`${JSON.stringify({ port: s.address().port })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

/** Child process: serve the records with ClusterDNS, print {"port":N}, run until stdin closes. */
async function serve(responseCacheSize: number, udpIO: UdpIO): Promise<void> {
  const client = new FakeClient();
  for (const r of records()) {
    await client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: r.name, namespace: r.namespace }, spec: { clusterIP: r.ip, clusterIPs: [r.ip], ports: [{ name: 'http', port: 80 }] } });
  }
  const dns = new ClusterDNS({ client, listen: { host: '127.0.0.1', port: 0 }, upstreams: [], responseCacheSize, udpIO, log: (l) => process.stderr.write(`${l}\n`) });
  const { port } = await dns.start();
  if (udpIO !== 'auto' && dns.udpIO() !== udpIO) throw new Error(`asked for ${udpIO} UDP I/O, got ${dns.udpIO()}`);
  while (!dns.ready()) await new Promise((r) => setTimeout(r, 10));
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void dns.stop().then(() => process.exit(0)));
}

function pinned(cmd: string, args: string[]): [string, string[]] {
  return TASKSET ? ['taskset', ['-c', '1', cmd, ...args]] : [cmd, args];
}

async function startSkiff(responseCacheSize: number | 'echo', udpIO: UdpIO = 'auto'): Promise<{ port: number; child: ChildProcess }> {
  // BENCH_DNS_NODE_ARGS: extra node flags for the skiff children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/x"
  const nodeArgs = (process.env.BENCH_DNS_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const [cmd, args] = pinned(process.execPath, [...nodeArgs, SELF, 'serve', String(responseCacheSize), udpIO]);
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.on('exit', (code) => reject(new Error(`skiff dns exited with ${code}`)));
  });
  return { port, child };
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  const port = await new Promise<number>((r) => s.bind(0, '127.0.0.1', () => r(s.address().port)));
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startDnsmasq(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, records().map((r) => `${r.ip} ${fqdn(r)}\n`).join(''));
  const port = await freePort();
  const [cmd, args] = pinned(DNSMASQ!, [
    '--no-daemon', '--port', String(port), '--listen-address', '127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts',
    '--addn-hosts', hosts, `--local=/${DOMAIN}/`, '--pid-file=' + join(dir, 'dnsmasq.pid'), '--user=root', '--cache-size=10000',
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${err}`);
    if (await answers(port)) return { port, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`dnsmasq did not answer: ${err}`);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(false);
    }, 200);
    s.on('message', () => {
      clearTimeout(t);
      s.close();
      resolve(true);
    });
    s.send(dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: fqdn(records()[0]), type: 'A' }] }), port, '127.0.0.1');
  });
}

interface LoadResult {
  qps: number;
  p50_us: number;
  p99_us: number;
  lost: number;
  answered: number;
  wrongRcode: number;
  /** server CPU time (user + system) per answered query, from /proc/PID/stat: independent of other load on the machine */
  cpu_us_per_query?: number;
  /** the part of it spent in the kernel (system time): socket calls and loopback delivery */
  sys_us_per_query?: number;
}

/** [user + system, system] CPU seconds of a process so far (Linux), or undefined */
function cpuSeconds(pid: number | undefined): [number, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [(Number(fields[11]) + Number(fields[12])) / 100, Number(fields[12]) / 100]; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** The load generator's socket: send() queues a query, flush() lets queued ones go, replies reach onReply. */
interface Generator {
  send(packet: Buffer): void;
  flush(): void;
  close(): void;
}

/**
 * Batched (the addon: one recvmmsg per batch of replies, the next queries out with one sendmmsg),
 * so that the generator is not what limits the faster servers; node:dgram when the addon is absent.
 */
async function generator(port: number, onReply: (m: Buffer) => void): Promise<Generator> {
  const { addon } = loadUdpBatch();
  if (!addon) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => s.connect(port, '127.0.0.1', () => r()));
    s.on('message', onReply);
    return { send: (p) => s.send(p), flush: () => undefined, close: () => s.close() };
  }
  const RECORD = addon.constants.RECORD_BYTES;
  const MAX_RECORDS = 4096;
  const out = Buffer.alloc(MAX_RECORDS * RECORD + (1 << 20));
  const peer = addon.peer('127.0.0.1', port);
  let queued = 0;
  let at = MAX_RECORDS * RECORD;
  let inBatch = false;
  const ch = addon.open(4, '127.0.0.1', 0, 4 << 20, out, (batch, count) => {
    inBatch = true;
    for (let i = 0; i < count; i++) {
      const offset = batch.readUInt32LE(i * RECORD);
      onReply(batch.subarray(offset, offset + batch.readUInt32LE(i * RECORD + 4)));
    }
    inBatch = false;
    const n = queued; // sent by the addon when this returns
    queued = 0;
    at = MAX_RECORDS * RECORD;
    return n;
  });
  const flush = () => {
    if (queued > 0) addon.flush(ch, queued);
    queued = 0;
    at = MAX_RECORDS * RECORD;
  };
  return {
    send: (p) => {
      if ((queued === MAX_RECORDS || at + p.length > out.length) && !inBatch) flush();
      else if (queued === MAX_RECORDS || at + p.length > out.length) throw new Error('generator: more queries queued in one batch than fit');
      const w = queued * RECORD;
      p.copy(out, at);
      out.writeUInt32LE(at, w);
      out.writeUInt32LE(p.length, w + 4);
      peer.copy(out, w + 8);
      at += p.length;
      queued++;
    },
    flush,
    close: () => addon.close(ch),
  };
}

/** Keeps `window` queries outstanding on one connected socket; see the header. */
async function load(port: number, names: readonly string[], pid?: number, expectNX = names[0].split('.').length > 6): Promise<LoadResult> {
  const slots = 65536;
  // one pre-encoded query per ID, so a buffer is never rewritten while the kernel may still hold it
  const packets = Array.from({ length: slots }, (_, id) => dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: names[id % names.length], type: 'A' }] }));
  const sentAt = new Float64Array(slots);
  const BIN_US = 5;
  const hist = new Uint32Array(200_000); // 5 µs bins up to 1 s
  const gen = await generator(port, (m) => onReply(m));
  let next = 0;
  let measuring = false;
  let answered = 0;
  let lost = 0;
  let wrongRcode = 0;
  const send = () => {
    const id = next++ & 0xffff;
    sentAt[id] = performance.now();
    gen.send(packets[id]);
  };
  const onReply = (m: Buffer) => {
    const id = m.readUInt16BE(0);
    const t0 = sentAt[id];
    if (t0 === 0) return; // late answer to a query counted as lost
    sentAt[id] = 0;
    if (measuring) {
      const us = (performance.now() - t0) * 1000;
      hist[Math.min(hist.length - 1, Math.floor(us / BIN_US))]++;
      answered++;
      if (expectNX ? (m.readUInt16BE(2) & 0xf) !== 3 : (m.readUInt16BE(2) & 0xf) !== 0 || m.readUInt16BE(6) === 0) wrongRcode++;
    }
    send();
  };
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (let id = 0; id < slots; id++) {
      if (sentAt[id] !== 0 && now - sentAt[id] > 1000) {
        sentAt[id] = 0;
        if (measuring) lost++;
        send();
      }
    }
    gen.flush();
  }, 250);
  for (let i = 0; i < WINDOW; i++) send();
  gen.flush();
  await new Promise((r) => setTimeout(r, 500));
  measuring = true;
  const start = performance.now();
  const cpu0 = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const cpu1 = cpuSeconds(pid);
  const elapsed = (performance.now() - start) / 1000;
  clearInterval(sweeper);
  gen.close();
  const pct = (p: number) => {
    const want = Math.ceil(answered * p);
    let acc = 0;
    for (let i = 0; i < hist.length; i++) if ((acc += hist[i]) >= want) return (i + 1) * BIN_US;
    return NaN;
  };
  const perQuery = (i: 0 | 1) => (cpu0 !== undefined && cpu1 !== undefined && answered ? +(((cpu1[i] - cpu0[i]) * 1e6) / answered).toFixed(1) : undefined);
  return { qps: Math.round(answered / elapsed), p50_us: pct(0.5), p99_us: pct(0.99), lost, answered, wrongRcode, cpu_us_per_query: perQuery(0), sys_us_per_query: perQuery(1) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * The whole DNS bench (also called by bench/net.ts): pins the calling process to CPU 0 when
 * taskset exists (the servers get CPU 1), prints one JSON line per figure, stops its servers.
 */
export async function runDnsBench(): Promise<void> {
  if (TASKSET) spawnSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' });
  const shuffle = (xs: string[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };
  const figures: Record<string, string[]> = {
    // NAME.NS.svc.DOMAIN → clusterIP
    'cluster-A': shuffle(records().map(fqdn)),
    // what a pod's resolver asks first for a full name (search path, ndots:5): NXDOMAIN in the zone
    'search-path-NXDOMAIN': shuffle(records().map((r) => `${fqdn(r)}.${r.namespace}.svc.${DOMAIN}`)),
  };
  console.log(JSON.stringify({ bench: 'dns', node: process.version, cpus: cpus().length, loadavg: loadavg()[0], services: SERVICE_COUNT, window: WINDOW, seconds: SECONDS, rounds: ROUNDS, pinned: !!TASKSET, dnsmasq: !!DNSMASQ, generator: loadUdpBatch().addon ? 'batched' : 'dgram' }));
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-dns-'));
  const children: ChildProcess[] = [];
  try {
    const servers: [string, number, number | undefined][] = [];
    for (const [label, cacheSize, io] of SKIFF_SERVERS) {
      const s = await startSkiff(cacheSize, io);
      children.push(s.child);
      servers.push([label, s.port, s.child.pid]);
    }
    if (DNSMASQ && (!process.env.BENCH_DNS_SERVERS || process.env.BENCH_DNS_SERVERS.split(',').includes('dnsmasq'))) {
      const d = await startDnsmasq(dir);
      children.push(d.child);
      servers.push(['dnsmasq', d.port, d.child.pid]);
    } else {
      console.log(JSON.stringify({ bench: 'dns', figure: 'dnsmasq', skipped: 'dnsmasq not installed (apt-get install dnsmasq-base)' }));
    }
    // Rounds alternate the servers so that a busy machine slows them alike; the figure is the median round.
    for (const [figure, names] of Object.entries(figures)) {
      const rounds = new Map<string, LoadResult[]>(servers.map(([label]) => [label, []]));
      for (let round = 0; round < ROUNDS; round++) for (const [label, port, pid] of servers) rounds.get(label)!.push(await load(port, names, pid));
      const qps: Record<string, number> = {};
      for (const [label, rs] of rounds) {
        qps[label] = median(rs.map((r) => r.qps));
        console.log(JSON.stringify({ bench: 'dns', figure, server: label, qps: qps[label], p50_us: median(rs.map((r) => r.p50_us)), p99_us: median(rs.map((r) => r.p99_us)), cpu_us_per_query: median(rs.map((r) => r.cpu_us_per_query ?? NaN)), sys_us_per_query: median(rs.map((r) => r.sys_us_per_query ?? NaN)), lost: rs.reduce((a, r) => a + r.lost, 0), answered: rs.reduce((a, r) => a + r.answered, 0), wrongRcode: rs.reduce((a, r) => a + r.wrongRcode, 0), roundsQps: rs.map((r) => r.qps) }));
      }
      if (qps.dnsmasq) console.log(JSON.stringify({ bench: 'dns', figure: `${figure}-qps-ratio-to-dnsmasq`, ...Object.fromEntries(Object.entries(qps).filter(([l]) => l !== 'dnsmasq').map(([l, q]) => [l, +(q / qps.dnsmasq).toFixed(3)])) }));
    }
    for (const c of children) c.stdin?.end();
    // let them exit on their own (a --cpu-prof profile is written at exit); killed below if they hang
    await Promise.all(children.map((c) => c.exitCode === null && new Promise((r) => (c.once('exit', r), setTimeout(r, 3000).unref()))));
  } finally {
    for (const c of children) if (c.exitCode === null && c.pid) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run as a program (not when imported by bench/net.ts): `serve` children, or the bench.
if (process.argv[1] === SELF) {
  if (process.argv[2] === 'serve' && process.argv[3] === 'echo') await serveEcho();
  else if (process.argv[2] === 'serve') await serve(Number(process.argv[3] ?? 10_000), (process.argv[4] ?? 'auto') as UdpIO);
  else await runDnsBench();
}
