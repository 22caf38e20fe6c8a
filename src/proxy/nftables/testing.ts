// Test-only: "pods" (real network namespaces on a real test bridge, each running busybox httpd that
// answers with its name) and an NftablesBackend on a unique table, all removed when the test ends.
// CIDRs: pods inside 198.18.96.0/20, service CIDR inside 198.18.160.0/20; bridges `skp…`,
// namespaces `skpn-…`, tables `skiff-test-pc-…`.
import { randomBytes } from 'node:crypto';
import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { spawnInNetns } from '../../network/netns-exec.js';
import { PodNetwork } from '../../network/pod-network.js';
import { removeAllPodNetworking } from '../../network/remove-all.js';
import type { ProxyEndpoint, ProxyServicePort } from '../model.js';
import { NftablesBackend, removeNftablesRules, type NftablesBackendOptions } from './nftables-backend.js';
import { nftTableExists } from '../../network/nft-command.js';

export const BUSYBOX = '/bin/busybox';
export const SKIP_UNLESS_ROOT = process.getuid?.() !== 0
  ? 'needs root (network namespaces, nftables)'
  : !existsSync(BUSYBOX) ? 'needs /bin/busybox (busybox-static)' : false;

export interface TestPod { readonly name: string; readonly ip: string; readonly netnsPath: string }

/** `n` pods on a fresh bridge in `cidr`, each serving `GET /` → its name on :8080. */
export async function testPods(t: TestContext, cidr: string, names: readonly string[]): Promise<{ pods: TestPod[]; gateway: string; net: PodNetwork; addPod(name: string): Promise<TestPod> }> {
  const tag = randomBytes(4).toString('hex');
  const base = await mkdtemp(join(tmpdir(), 'skiff-proxy-'));
  const opts = { stateDir: join(base, 'network'), bridgeName: `skp${tag}`, netnsPrefix: `skpn-${tag.slice(0, 6)}-` };
  const children: ChildProcess[] = [];
  const tablesFirst: (() => Promise<void>)[] = [];
  beforePodsGo.set(t, tablesFirst);
  t.after(async () => {
    for (const removeTable of tablesFirst) await removeTable().catch(() => undefined);
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
    await removeAllPodNetworking(opts);
    await rm(base, { recursive: true, force: true });
  });
  const net = new PodNetwork(opts);
  net.setPodCIDR(cidr);
  let gateway = '';
  const addPod = async (name: string): Promise<TestPod> => {
    const n = await net.setUp(name, { namespace: 'default', name, uid: `uid-${name}` });
    gateway = n.gateway;
    const www = join(base, `www-${name}`);
    await rm(www, { recursive: true, force: true });
    await mkdir(join(www, 'cgi-bin'), { recursive: true });
    await writeFile(join(www, 'index.html'), name);
    // GET /cgi-bin/peer → the client address the endpoint sees
    await writeFile(join(www, 'cgi-bin', 'peer'), `#!${BUSYBOX} sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' "$REMOTE_ADDR"\n`, { mode: 0o755 });
    children.push(spawnInNetns(n.netnsPath, BUSYBOX, ['httpd', '-f', '-p', '8080', '-h', www], { stdio: 'ignore' }));
    await waitListening(n.ip, 8080);
    return { name, ip: n.ip, netnsPath: n.netnsPath };
  };
  const pods: TestPod[] = [];
  for (const name of names) pods.push(await addPod(name));
  return { pods, gateway, net, addPod };
}

/**
 * Per test: removals of backends' tables that testPods' cleanup runs before the pods go (after
 * hooks run in the order they were added, and tests make their pods first): rules left pointing
 * at removed pods would send a concurrent test's traffic to the same node port out of the machine.
 */
const beforePodsGo = new WeakMap<TestContext, (() => Promise<void>)[]>();

/** A backend on table `skiff-test-pc-<hex>`, deleted after the test (before the test's pods). */
export function testBackend(t: TestContext, extra: Partial<NftablesBackendOptions> = {}): NftablesBackend {
  const tag = `skiff-test-pc-${randomBytes(4).toString('hex')}`;
  const backend = new NftablesBackend({ tag, ...extra });
  beforePodsGo.get(t)?.push(() => removeNftablesRules(tag));
  t.after(async () => {
    await removeNftablesRules(tag);
    if (await nftTableExists(tag)) throw new Error(`table ${tag} left behind`);
  });
  return backend;
}

export function servicePort(key: string, extra: Partial<ProxyServicePort> = {}): ProxyServicePort {
  const [nsName, portName = ''] = key.split(':');
  const [namespace = '', name = ''] = nsName!.split('/');
  return {
    key, namespace, name, portName, protocol: 'TCP', clusterIPs: [], port: 80, loadBalancerIPs: [], externalIPs: [],
    externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', endpoints: [], ...extra,
  };
}

export const endpoint = (ip: string, extra: Partial<ProxyEndpoint> = {}): ProxyEndpoint => ({ ip, port: 8080, ready: true, local: true, ...extra });

/** GET http://host:port/path on a new connection; resolves the body. */
export function httpGet(host: string, port: number, path = '/', timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${path} timed out`))).on('error', reject).end();
  });
}

/** Connects to host:port; resolves 'connected', or the error code ('ECONNREFUSED', 'timeout', ...). */
export function tryConnect(host: string, port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => (s.destroy(), resolve('timeout')), timeoutMs);
    s.once('connect', () => (clearTimeout(timer), s.destroy(), resolve('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(e.code ?? e.message)));
  });
}

async function waitListening(host: string, port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await tryConnect(host, port, 500)) !== 'connected') {
    if (Date.now() > deadline) throw new Error(`${host}:${port} never listened`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port in [base, base+999] unlikely to be shared with a parallel test run. */
export const randomPort = (base: number) => base + Math.floor(Math.random() * 1000);
