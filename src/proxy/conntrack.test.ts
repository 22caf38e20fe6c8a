import { strict as assert } from 'node:assert';
import { type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { spawnInNetns } from '../network/netns-exec.js';
import { ConntrackCleaner, conntrackDeleteArgs, staleFlows } from './conntrack.js';
import type { ProxyState } from './model.js';
import { endpoint, randomPort, servicePort, SKIP_UNLESS_ROOT, testBackend, testPods } from './nftables/testing.js';

const state = (services: ProxyState['services']): ProxyState => ({ serviceCIDRs: ['198.18.184.0/24'], nodeIPs: [], services });
const dns = (extra: Parameters<typeof servicePort>[1] = {}) => servicePort('kube-system/dns:dns', { protocol: 'UDP', port: 53, clusterIPs: ['198.18.184.10'], ...extra });

test('staleFlows: an endpoint that left → its DNATed flows on every service address and the node port; a port that starts serving → its rejected flows', () => {
  const a = endpoint('198.18.0.2', { port: 5353 });
  const b = endpoint('198.18.0.3', { port: 5353 });
  const before = state([dns({ endpoints: [a, b], nodePort: 30053, loadBalancerIPs: ['192.0.2.9'] })]);
  const after = state([dns({ endpoints: [b], nodePort: 30053, loadBalancerIPs: ['192.0.2.9'] })]);
  assert.deepEqual(staleFlows(before, after), [
    { origDst: '198.18.184.10', port: 53, natTo: '198.18.0.2' },
    { origDst: '192.0.2.9', port: 53, natTo: '198.18.0.2' },
    { port: 30053, natTo: '198.18.0.2' },
  ]);
  // not ready any more counts as gone; nothing changed: nothing stale
  assert.deepEqual(staleFlows(before, state([dns({ endpoints: [{ ...a, ready: false }, b], nodePort: 30053, loadBalancerIPs: ['192.0.2.9'] })])).length, 3);
  assert.deepEqual(staleFlows(before, before), []);
  // no endpoint before (or no service, or the first sync), some now: the rejected flows
  const serving = state([dns({ endpoints: [a], nodePort: 30053 })]);
  const rejected = [{ origDst: '198.18.184.10', port: 53 }, { port: 30053 }];
  assert.deepEqual(staleFlows(state([dns({ nodePort: 30053 })]), serving), rejected);
  assert.deepEqual(staleFlows(state([]), serving), rejected);
  assert.deepEqual(staleFlows(undefined, serving), rejected);
  // the service went away: flows to its endpoints go
  assert.deepEqual(staleFlows(serving, state([])), [{ origDst: '198.18.184.10', port: 53, natTo: '198.18.0.2' }, { port: 30053, natTo: '198.18.0.2' }]);
  // TCP ports are left alone
  const tcp = (eps: typeof a[]) => state([servicePort('default/web:', { clusterIPs: ['198.18.184.20'], endpoints: eps })]);
  assert.deepEqual(staleFlows(tcp([a, b]), tcp([b])), []);
  assert.deepEqual(staleFlows(tcp([]), tcp([a])), []);
});

test('conntrackDeleteArgs: DNATed flows by --dst-nat; rejected ones by a reply from the address (or port) itself', () => {
  assert.deepEqual(conntrackDeleteArgs({ origDst: '198.18.184.10', port: 53, natTo: '198.18.0.2' }), ['-D', '-p', 'udp', '--orig-dst', '198.18.184.10', '--orig-port-dst', '53', '--dst-nat', '198.18.0.2']);
  assert.deepEqual(conntrackDeleteArgs({ origDst: '198.18.184.10', port: 53 }), ['-D', '-p', 'udp', '--orig-dst', '198.18.184.10', '--orig-port-dst', '53', '--reply-src', '198.18.184.10']);
  assert.deepEqual(conntrackDeleteArgs({ port: 30053 }), ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--reply-port-src', '30053']);
});

test('ConntrackCleaner: "0 flow entries" is not an error; other failures are logged, a missing conntrack once, and nothing throws', async () => {
  const logs: string[] = [];
  const runs: string[][] = [];
  const outcomes = [{ code: 0, stderr: '1 flow entries have been deleted.' }, { code: 1, stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.' }, { code: 1, stderr: 'Operation failed: invalid parameters' }];
  const c = new ConntrackCleaner({ run: async (args) => (runs.push([...args]), outcomes[runs.length - 1]!), log: (l) => logs.push(l) });
  assert.equal(await c.clean([{ port: 1 }, { port: 2 }, { port: 3 }]), 1);
  assert.equal(runs.length, 3);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /exit 1: Operation failed/);
  const missing = new ConntrackCleaner({ run: async () => Promise.reject(new Error('conntrack: spawn conntrack ENOENT')), log: (l) => logs.push(l) });
  assert.equal(await missing.clean([{ port: 1 }, { port: 2 }]), 0);
  assert.equal(await missing.clean([{ port: 1 }]), 0);
  assert.equal(logs.length, 2);
  assert.match(logs[1]!, /stale UDP flows not cleared: .*ENOENT/);
});

/** A UDP server in a pod's namespace answering every datagram with `name`. */
function udpServer(netnsPath: string, name: string, port: number): ChildProcess {
  const code = `const s=require('node:dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(process.argv[1],r.port,r.address));s.bind(${port},()=>console.log('ready'))`;
  return spawnInNetns(netnsPath, process.execPath, ['-e', code, name], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Sends one datagram from `client` to host:port; resolves the answer, or 'no answer' after 500 ms. */
function askAt(client: Socket, host: string, port: number): Promise<string> {
  return new Promise<string>((resolve) => {
    const onMessage = (m: Buffer) => done(m.toString());
    const timer = setTimeout(() => done('no answer'), 500);
    const done = (answer: string) => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(answer);
    };
    client.on('message', onMessage);
    client.send('q', port, host);
  });
}

test('in the kernel: a client that keeps its source port stays pinned to a replaced endpoint until the stale flow is cleared, and to the node itself when a NodePort comes after its first datagrams', { skip: SKIP_UNLESS_ROOT, timeout: 60_000 }, async (t) => {
  const { pods, gateway } = await testPods(t, '198.18.101.0/24', ['udp-a', 'udp-b']);
  const servers = pods.map((p) => udpServer(p.netnsPath, p.name, 9053));
  t.after(() => servers.forEach((s) => s.kill('SIGKILL')));
  await Promise.all(servers.map((s) => new Promise((resolve, reject) => {
    s.stdout!.once('data', resolve);
    s.once('exit', (c) => reject(new Error(`UDP server exited (${c})`)));
  })));
  const backend = testBackend(t);
  const vip = '198.18.184.53';
  const svc = (eps: string[]) => state([servicePort('kube-system/dns:dns', { protocol: 'UDP', port: 53, clusterIPs: [vip], endpoints: eps.map((ip) => endpoint(ip, { port: 9053 })) })]);
  const [a, b] = pods as [typeof pods[0], typeof pods[0]];

  // one client socket: every datagram has the same source port, as a resolver's would
  const client = createSocket('udp4');
  t.after(() => client.close());
  await new Promise<void>((r) => client.bind(0, () => r()));
  const ask = () => askAt(client, vip, 53);
  const cleaner = new ConntrackCleaner();

  // 1. endpoint a only
  const s1 = svc([a.ip]);
  await backend.sync(s1);
  assert.equal(await ask(), 'udp-a');
  // 2. a replaced by b: the kernel keeps the flow on a (the server still answers there)
  const s2 = svc([b.ip]);
  await backend.sync(s2);
  assert.equal(await ask(), 'udp-a', 'without clearing, the flow stays pinned to the old endpoint');
  assert.equal(await cleaner.clean(staleFlows(s1, s2)), 1);
  assert.equal(await ask(), 'udp-b', 'cleared: the next datagram is DNATed anew');
  // 3. a NodePort added after a client's datagrams to that port were delivered to the node itself
  //    (nothing listened): the flow stays pinned to the node until cleared
  const nodePort = randomPort(31000);
  const toNode = (): Promise<string> => askAt(client, gateway, nodePort);
  assert.equal(await toNode(), 'no answer');
  const s3 = state([servicePort('kube-system/dns:dns', { protocol: 'UDP', port: 53, clusterIPs: [vip], nodePort, endpoints: [endpoint(b.ip, { port: 9053 })] })]);
  await backend.sync(s3);
  assert.equal(await toNode(), 'no answer', 'without clearing, the flow stays on the node');
  assert.ok((await cleaner.clean(staleFlows(state([]), s3))) >= 1);
  assert.equal(await toNode(), 'udp-b', 'cleared: DNATed to the endpoint');
});
