// Test-only: real "pods" for the proxy backends' tests — network namespaces on a test bridge
// (src/network's PodNetwork), busybox httpd answering with the pod's name, a Node.js UDP echo
// server — and small clients (HTTP from the node, busybox wget from a pod, TCP connect errors).
// Everything started is killed and removed in t.after.
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { runInNetns, spawnInNetns } from '../network/netns-exec.js';
import { PodNetwork } from '../network/pod-network.js';
import { removeAllPodNetworking } from '../network/remove-all.js';

export const BUSYBOX = '/bin/busybox';
export const SKIP_UNLESS_ROOT =
  process.getuid?.() !== 0 ? 'needs root (network namespaces, links, iptables)' : !existsSync(BUSYBOX) ? 'needs /bin/busybox' : false;

export interface TestPod {
  readonly name: string;
  readonly ip: string;
  readonly netnsPath: string;
}

export interface TestPods {
  readonly pods: Record<string, TestPod>;
  /** the bridge's address: the node as seen from the pods */
  readonly gateway: string;
  readonly bridgeName: string;
}

/**
 * Pods on a fresh bridge `ska<8 hex>` (netns prefix `skan-<6 hex>-`) in `cidr`; the ones listed in
 * `serve` run `busybox httpd -f -p <httpPort>` answering GET / with their name.
 */
export async function startTestPods(
  t: TestContext,
  opts: { cidr: string; names: readonly string[]; serve: readonly string[]; httpPort: number },
): Promise<TestPods> {
  const hex = randomBytes(4).toString('hex');
  const base = await mkdtemp(join(tmpdir(), 'skiff-proxy-pods-'));
  const netOpts = { stateDir: join(base, 'network'), bridgeName: `ska${hex}`, netnsPrefix: `skan-${hex.slice(0, 6)}-` };
  const children: ChildProcess[] = [];
  t.after(async () => {
    await Promise.all(children.map(killChild));
    await removeAllPodNetworking(netOpts);
    await rm(base, { recursive: true, force: true });
  });
  const net = new PodNetwork(netOpts);
  net.setPodCIDR(opts.cidr);
  const pods: Record<string, TestPod> = {};
  let gateway = '';
  for (const name of opts.names) {
    // sandbox ids unique to this run: host veth names derive from them, and two test files may run at once
    const s = await net.setUp(`${hex}-${name}`, { namespace: 'default', name, uid: `uid-${name}` });
    pods[name] = { name, ip: s.ip, netnsPath: s.netnsPath };
    gateway = s.gateway;
  }
  for (const name of opts.serve) {
    const root = join(base, `www-${name}`);
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'index.html'), name);
    children.push(spawnInNetns(pods[name]!.netnsPath, BUSYBOX, ['httpd', '-f', '-p', String(opts.httpPort), '-h', root], { stdio: 'ignore' }));
  }
  for (const name of opts.serve) await waitListening(pods[name]!.ip, opts.httpPort);
  return { pods, gateway, bridgeName: netOpts.bridgeName };
}

/** A UDP echo server (Node.js, run through nsenter) in the pod: answers `<pod name>:<datagram>`. */
export async function startUdpEcho(t: TestContext, pod: TestPod, port: number): Promise<void> {
  const script = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(${JSON.stringify(pod.name + ':')}+m,r.port,r.address));s.bind(${port},()=>process.stdout.write('ready\\n'));`;
  const child = spawnInNetns(pod.netnsPath, process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => killChild(child));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`udp echo in ${pod.name} exited ${code}`)));
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** GET `url` from the node (no keep-alive); resolves with the body. */
export function httpGet(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`))).on('error', reject);
  });
}

/** `n` GETs from the node, one connection each; resolves with how many answers each body got. */
export async function countAnswers(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const body = await httpGet(url);
    counts[body] = (counts[body] ?? 0) + 1;
  }
  return counts;
}

/** `n` busybox wget runs (no `-T`: this busybox's wget segfaults with it) inside the pod's namespace; resolves with how many answers each body got. */
export async function countAnswersFromPod(pod: TestPod, url: string, n: number): Promise<Record<string, number>> {
  const script = `i=0; while [ $i -lt ${n} ]; do ${BUSYBOX} wget -q -O- ${url}; echo; i=$((i+1)); done`;
  const { stdout } = await runInNetns(pod.netnsPath, BUSYBOX, ['sh', '-c', script], { timeoutMs: 30_000 });
  const counts: Record<string, number> = {};
  for (const line of stdout.split('\n').filter((l) => l.trim() !== '')) counts[line.trim()] = (counts[line.trim()] ?? 0) + 1;
  return counts;
}

/** How a TCP connect from the node ends: 'connected' or the error code, with the time it took. */
export function tcpOutcome(host: string, port: number, timeoutMs = 3000): Promise<{ outcome: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (outcome: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ outcome, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    s.once('connect', () => {
      // a proxy may accept and then close at once: wait briefly for that
      s.once('close', () => done('closed'));
      s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
      s.setTimeout(300, () => done('connected'));
    });
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
  });
}

/** How a wget from the pod ends: its exit status and the time it took. */
export async function wgetOutcomeFromPod(pod: TestPod, url: string): Promise<{ ok: boolean; ms: number; stderr: string }> {
  const t0 = performance.now();
  try {
    await runInNetns(pod.netnsPath, BUSYBOX, ['wget', '-q', '-O-', url], { timeoutMs: 5000 });
    return { ok: true, ms: performance.now() - t0, stderr: '' };
  } catch (e) {
    return { ok: false, ms: performance.now() - t0, stderr: String((e as { stderr?: string }).stderr ?? e) };
  }
}

/** One UDP datagram to host:port from the node; resolves with the answer. */
export function udpAsk(host: string, port: number, message: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => (s.close(), reject(new Error(`no UDP answer from ${host}:${port}`))), timeoutMs);
    s.once('message', (m) => (clearTimeout(timer), s.close(), resolve(m.toString())));
    s.once('error', (e) => (clearTimeout(timer), s.close(), reject(e)));
    s.send(message, port, host);
  });
}

export async function waitListening(host: string, port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await tcpOutcome(host, port, 1000);
    if (r.outcome === 'connected' || r.outcome === 'closed') return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} not listening: ${r.outcome}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** A tag unique to one test run: `skiff-test-pa-<6 hex>`. */
export function testTag(): string {
  return `skiff-test-pa-${randomBytes(3).toString('hex')}`;
}

/** Each mode's conformance test picks its node ports from a range of its own (they run at the same time, and node ports are the machine's). */
// (31000–31999 are the nftables backend test's node ports, 32000–32999 its LoadBalancer ports,
// 29000–29999 the e2e clusters'; the 1,000-Service tests serve theirs on an unused address only)
const NODE_PORT_RANGES: Readonly<Record<string, number>> = { nftables: 30000, iptables: 30250, userspace: 30500 };

/** A random port in the NodePort range: 250 of its own for a known mode, else anywhere in 30000–30749. */
export function randomNodePort(mode?: string): number {
  const base = mode !== undefined ? NODE_PORT_RANGES[mode] : undefined;
  return base !== undefined ? base + Math.floor(Math.random() * 250) : 30000 + Math.floor(Math.random() * 750);
}
