// Real namespaces, veths and bridges through `ip` (root only). CIDRs inside 198.18.64.0/20, one per
// test; bridges `skt…`, namespaces `sktn-…`; everything removed in t.after.
import { strict as assert } from 'node:assert';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { bridgePorts, linkExists, masterOf } from './bridge.js';
import { isNetworkError } from './errors.js';
import { ip, ipJson, localRunner, type ProcessRunner } from './ip-command.js';
import { loadPodNetns } from './pod-netns-addon.js';
import { runInNetns, spawnInNetns } from './netns-exec.js';
import { hostVethName, PodNetwork } from './pod-network.js';
import { removeAllPodNetworking } from './remove-all.js';
import { NEEDS_ROOT, pod, POD_SIDES, testNetworkOptions, testPodNetwork } from './testing.js';

const BUSYBOX = '/bin/busybox';
const skip = NEEDS_ROOT || (!existsSync(BUSYBOX) ? 'needs /bin/busybox (busybox-static)' : false);

/** busybox httpd serving `body` on :8080 inside the namespace; killed after the test. */
async function serveHttp(t: TestContext, netnsPath: string, body: string): Promise<ChildProcess> {
  const root = await mkdtemp(join(tmpdir(), 'skiff-net-www-'));
  await writeFile(join(root, 'index.html'), body);
  const child = spawnInNetns(netnsPath, BUSYBOX, ['httpd', '-f', '-p', '8080', '-h', root], { stdio: 'ignore' });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  });
  return child;
}

function tcpConnect(host: string, port: number, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`connect ${host}:${port} timed out`))), timeoutMs);
    s.once('connect', () => (clearTimeout(timer), s.end(), resolve()));
    s.once('error', (e) => (clearTimeout(timer), reject(e)));
  });
}

async function waitListening(host: string, port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await tcpConnect(host, port);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`))).on('error', reject);
  });
}

// each way of making the pod side; with the addon's pod side, its host side both ways (an addon
// built without the host side, or SKIFF_POD_NETNS_HOST=ip, leaves it to the node's ip batch)
type Side = 'netlink' | 'ip';
const SIDES: [Side, Side, string | false][] = POD_SIDES.flatMap(([podSide, skip]): [Side, Side, string | false][] =>
  podSide === 'netlink' ? [[podSide, 'netlink', skip], [podSide, 'ip', skip]] : [[podSide, 'ip', skip]],
);
for (const [podSide, hostSide, skip] of SIDES) {
test(`two sandboxes: distinct IPs, pod→pod and node→pod over the bridge without NAT (pod side by ${podSide}, host side by ${hostSide})`, { skip }, async (t) => {
  // every program the pod network runs, to see who made the host side
  const inputs: string[] = [];
  const runner: ProcessRunner = (req) => (inputs.push(`${req.file} ${req.args.join(' ')}\n${req.input ?? ''}`), localRunner(req));
  const { net, opts } = await testPodNetwork(t, '198.18.64.0/24', { podSide, hostSide, runner });
  const t0 = performance.now();
  const a = await net.setUp('sandbox-a', pod('a'));
  const t1 = performance.now();
  const b = await net.setUp('sandbox-b', pod('b'));
  const t2 = performance.now();
  t.diagnostic(`setUp: first (creates bridge) ${(t1 - t0).toFixed(1)} ms, second ${(t2 - t1).toFixed(1)} ms`);

  assert.deepEqual(a, { netnsPath: `/run/netns/${opts.netnsPrefix}sandbox-a`, ip: '198.18.64.2', gateway: '198.18.64.1', prefixLength: 24 });
  assert.equal(b.ip, '198.18.64.3');
  assert.ok(existsSync(a.netnsPath));
  const listed = (await ip(['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]);
  assert.ok(listed.includes(`${opts.netnsPrefix}sandbox-a`), '`ip netns list` sees the namespace');

  // The bridge holds the gateway and both host veths.
  const [br] = await ipJson<{ addr_info: Array<{ family: string; local: string; prefixlen: number }>; flags: string[] }>(['addr', 'show', 'dev', opts.bridgeName]);
  assert.deepEqual(br!.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`), ['198.18.64.1/24']);
  assert.ok(br!.flags.includes('UP'));
  assert.deepEqual(bridgePorts(opts.bridgeName).sort(), [hostVethName('sandbox-a'), hostVethName('sandbox-b')].sort());
  // each host veth is up, a port of the bridge, with hairpin on (a pod reaching itself through a Service VIP)
  for (const veth of [hostVethName('sandbox-a'), hostVethName('sandbox-b')]) {
    const [port] = await ipJson<{ flags: string[]; master?: string; linkinfo?: { info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } } }>(['-d', 'link', 'show', 'dev', veth]);
    assert.ok(port!.flags.includes('UP'), `${veth} is up`);
    assert.equal(port!.master, opts.bridgeName);
    assert.equal(port!.linkinfo?.info_slave_data?.hairpin, true, `${veth} has hairpin on`);
  }
  // the addon makes the host side itself; only the ip fallback runs the node-side batch
  const byIp = inputs.filter((i) => i.includes(' master '));
  if (podSide === 'netlink' && hostSide === 'netlink' && loadPodNetns().hostSide) assert.deepEqual(byIp, [], 'no ip batch for the host side');
  else assert.ok(byIp.length > 0, 'the node-side ip batch made the host side');

  // Inside: lo up, eth0 with the IP, default route via the gateway.
  const inside = await runInNetns(a.netnsPath, 'ip', ['-o', '-4', 'addr', 'show']);
  assert.match(inside.stdout, /lo\s+inet 127\.0\.0\.1\/8/);
  assert.match(inside.stdout, /eth0\s+inet 198\.18\.64\.2\/24/);
  assert.match((await runInNetns(a.netnsPath, 'ip', ['route', 'show', 'default'])).stdout, /default via 198\.18\.64\.1 dev eth0/);

  await serveHttp(t, a.netnsPath, 'hello from a\n');
  await serveHttp(t, b.netnsPath, 'hello from b\n');
  await waitListening(a.ip, 8080); // node → pod TCP
  await waitListening(b.ip, 8080);
  assert.equal(await httpGet(`http://${a.ip}:8080/`), 'hello from a\n');
  // pod → pod, both ways, and pod → localhost inside its own namespace
  assert.equal((await runInNetns(b.netnsPath, BUSYBOX, ['wget', '-qO-', `http://${a.ip}:8080/`], { timeoutMs: 5000 })).stdout, 'hello from a\n');
  assert.equal((await runInNetns(a.netnsPath, BUSYBOX, ['wget', '-qO-', `http://${b.ip}:8080/`], { timeoutMs: 5000 })).stdout, 'hello from b\n');
  assert.equal((await runInNetns(a.netnsPath, BUSYBOX, ['wget', '-qO-', 'http://127.0.0.1:8080/'], { timeoutMs: 5000 })).stdout, 'hello from a\n');
  // pod → gateway (the node) answers ping; the peer pod sees the client's own IP (no NAT)
  await runInNetns(a.netnsPath, BUSYBOX, ['ping', '-c', '1', '-W', '2', a.gateway], { timeoutMs: 5000 });
  await runInNetns(a.netnsPath, BUSYBOX, ['ping', '-c', '1', '-W', '2', b.ip], { timeoutMs: 5000 });
  const neigh = await runInNetns(b.netnsPath, 'ip', ['neigh', 'show', a.ip]);
  assert.match(neigh.stdout, /198\.18\.64\.2 dev eth0 lladdr/, 'b learned a directly at layer 2');
});
}

test('pod → pod with nc: a TCP payload arrives from the client pod', { skip }, async (t) => {
  const { net } = await testPodNetwork(t, '198.18.75.0/28');
  const a = await net.setUp('nc-a', pod('nc-a'));
  const b = await net.setUp('nc-b', pod('nc-b'));
  // stdin a pipe that stays open: at EOF on stdin busybox nc may end the connection before the
  // payload arrives (the server then printed nothing, 1 run in ~20 under load)
  const server = spawnInNetns(a.netnsPath, BUSYBOX, ['nc', '-l', '-p', '9090'], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  let got = '';
  server.stdout!.setEncoding('utf8').on('data', (c: string) => (got += c));
  const exited = new Promise((r) => server.once('close', r)); // 'close': after its output was read ('exit' may come first)
  // retry until the listener is there
  for (let i = 0; ; i++) {
    try {
      await runInNetns(b.netnsPath, BUSYBOX, ['nc', '-w', '1', a.ip, '9090'], { input: 'ping over veth\n', timeoutMs: 3000 });
      break;
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await exited;
  assert.equal(got, 'ping over veth\n');
});

test('persistence: a new PodNetwork on the same stateDir sees the allocations and does not hand them out again', { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.65.0/24');
  const a = await net.setUp('persist-a', pod('a'));
  const restarted = new PodNetwork(opts);
  assert.deepEqual(restarted.get('persist-a'), {
    sandboxId: 'persist-a',
    netnsPath: a.netnsPath,
    ip: a.ip,
    gateway: a.gateway,
    prefixLength: 24,
    hostVeth: hostVethName('persist-a'),
    pod: pod('a'),
  });
  assert.deepEqual(restarted.list().map((x) => x.ip), [a.ip]);
  restarted.setPodCIDR('198.18.65.0/24');
  // same sandbox: the existing network (idempotent across restarts); new one: another IP
  assert.deepEqual(await restarted.setUp('persist-a', pod('a')), a);
  const b = await restarted.setUp('persist-b', pod('b'));
  assert.notEqual(b.ip, a.ip);
  // the re-used bridge still works for the old pod
  await runInNetns(b.netnsPath, BUSYBOX, ['ping', '-c', '1', '-W', '2', a.ip], { timeoutMs: 5000 });
});

test('tearDown frees the IP for reuse, removes veth and netns, and is idempotent', { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.66.0/30'); // one pod address: 198.18.66.2
  const a = await net.setUp('reuse-a', pod('a'));
  assert.equal(a.ip, '198.18.66.2');
  const t0 = performance.now();
  await net.tearDown('reuse-a');
  const t1 = performance.now();
  await net.tearDown('reuse-a');
  await net.tearDown('never-set-up');
  t.diagnostic(`tearDown ${(t1 - t0).toFixed(1)} ms`);
  assert.equal(net.get('reuse-a'), undefined);
  assert.ok(!existsSync(a.netnsPath));
  assert.ok(!linkExists(hostVethName('reuse-a')));
  assert.deepEqual(bridgePorts(opts.bridgeName), []);
  assert.deepEqual(await readdir(join(opts.stateDir, 'ipam')).then((f) => f.filter((n) => !n.startsWith('last'))), []);
  const b = await net.setUp('reuse-b', pod('b'));
  assert.equal(b.ip, '198.18.66.2', 'the freed address is handed out again');
});

test('setUp is idempotent and rebuilds a half set-up sandbox with the IP it holds', { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.67.0/24');
  const a = await net.setUp('half', pod('half'));
  assert.deepEqual(await net.setUp('half', pod('half')), a);
  // Simulate a crash after the allocation: the veth is gone (netns still there).
  await ip(['link', 'del', 'dev', hostVethName('half')]);
  assert.deepEqual(await net.setUp('half', pod('half')), a);
  assert.equal(masterOf(hostVethName('half')), opts.bridgeName);
  assert.match((await runInNetns(a.netnsPath, 'ip', ['-o', '-4', 'addr', 'show', 'eth0'])).stdout, /198\.18\.67\.2\/24/);
  // Netns gone, veth too (as after a reboot): rebuilt as well.
  await ip(['netns', 'del', `${opts.netnsPrefix}half`]);
  assert.deepEqual(await net.setUp('half', pod('half')), a);
  await runInNetns(a.netnsPath, BUSYBOX, ['ping', '-c', '1', '-W', '2', a.gateway], { timeoutMs: 5000 });
  // tearDown of a half set-up sandbox (only the netns left) cleans it.
  await ip(['link', 'del', 'dev', hostVethName('half')]);
  await net.tearDown('half');
  assert.ok(!existsSync(a.netnsPath));
  assert.equal(net.get('half'), undefined);
});

test('20 concurrent setUps get 20 unique IPs and all work', { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.69.0/24');
  const t0 = performance.now();
  const all = await Promise.all(Array.from({ length: 20 }, (_, i) => net.setUp(`conc-${i}`, pod(`p${i}`))));
  const t1 = performance.now();
  t.diagnostic(`20 concurrent setUps: ${(t1 - t0).toFixed(0)} ms (${((t1 - t0) / 20).toFixed(1)} ms/pod)`);
  assert.equal(new Set(all.map((x) => x.ip)).size, 20);
  assert.equal(bridgePorts(opts.bridgeName).length, 20);
  assert.equal(new PodNetwork(opts).list().length, 20);
  await runInNetns(all[19]!.netnsPath, BUSYBOX, ['ping', '-c', '1', '-W', '2', all[0]!.ip], { timeoutMs: 5000 });
  const t2 = performance.now();
  await Promise.all(all.map((_, i) => net.tearDown(`conc-${i}`)));
  t.diagnostic(`20 concurrent tearDowns: ${(performance.now() - t2).toFixed(0)} ms`);
  assert.deepEqual(bridgePorts(opts.bridgeName), []);
  assert.deepEqual(net.list(), []);
});

test('setUp timing: sequential pods on an existing bridge', { skip }, async (t) => {
  const { net } = await testPodNetwork(t, '198.18.76.0/24');
  await net.setUp('warm', pod('warm'));
  const up: number[] = [];
  const down: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await net.setUp(`seq-${i}`, pod(`seq-${i}`));
    up.push(performance.now() - t0);
  }
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await net.tearDown(`seq-${i}`);
    down.push(performance.now() - t0);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  t.diagnostic(`setUp median ${median(up).toFixed(1)} ms max ${Math.max(...up).toFixed(1)} ms; tearDown median ${median(down).toFixed(1)} ms max ${Math.max(...down).toFixed(1)} ms`);
  assert.ok(median(up) < 500, `setUp takes tens of ms, got ${median(up)} ms`);
});

test('a full small CIDR gives NoIPAddressesAvailable and leaves nothing behind', { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.70.0/30');
  await net.setUp('only', pod('only'));
  await assert.rejects(net.setUp('too-many', pod('too-many')), (e) => {
    assert.ok(isNetworkError(e, 'NoIPAddressesAvailable'), String(e));
    assert.match(e.message, /no IP addresses available in range set: 198\.18\.70\.2-198\.18\.70\.2/);
    return true;
  });
  assert.ok(!existsSync(`/run/netns/${opts.netnsPrefix}too-many`));
  assert.equal(net.get('too-many'), undefined);
});

test('setUp before setPodCIDR is NetworkNotReady; bad sandbox ids are refused', { skip }, async (t) => {
  const opts = await testNetworkOptions(t);
  const net = new PodNetwork(opts);
  await assert.rejects(net.setUp('x', pod('x')), (e) => isNetworkError(e, 'NetworkNotReady'));
  assert.throws(() => net.setUp('../etc', pod('x')), (e) => isNetworkError(e, 'InvalidSandboxId'));
  assert.throws(() => net.setPodCIDR('198.18.71.0/31'), TypeError);
});

test('an existing bridge is re-used and its address corrected to the new pod CIDR', { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.73.0/24');
  await net.setUp('br-a', pod('a'));
  await net.tearDown('br-a');
  const next = new PodNetwork(opts);
  next.setPodCIDR('198.18.74.0/24');
  const b = await next.setUp('br-b', pod('b'));
  assert.equal(b.gateway, '198.18.74.1');
  const [br] = await ipJson<{ addr_info: Array<{ family: string; local: string }> }>(['addr', 'show', 'dev', opts.bridgeName]);
  assert.deepEqual(br!.addr_info.filter((x) => x.family === 'inet').map((x) => x.local), ['198.18.74.1']);
  await runInNetns(b.netnsPath, BUSYBOX, ['ping', '-c', '1', '-W', '2', b.gateway], { timeoutMs: 5000 });
  // a link with the bridge's name that is no bridge is an error, not silently used
  const other = await testNetworkOptions(t);
  await ip(['link', 'add', 'name', other.bridgeName, 'type', 'veth', 'peer', 'name', `${other.bridgeName}p`]);
  const wrong = new PodNetwork(other);
  wrong.setPodCIDR('198.18.77.0/24');
  await assert.rejects(wrong.setUp('w', pod('w')), /not a bridge/);
  await ip(['link', 'del', other.bridgeName]);
});

test('reconcile releases sandboxes that are not live and orphan namespaces', { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.72.0/24');
  const keep = await net.setUp('rec-keep', pod('keep'));
  const gone = await net.setUp('rec-gone', pod('gone'));
  await ip(['netns', 'add', `${opts.netnsPrefix}orphan`]);
  const restarted = new PodNetwork(opts);
  assert.deepEqual(await restarted.reconcile(['rec-keep']), ['rec-gone']);
  assert.deepEqual(restarted.list().map((x) => x.sandboxId), ['rec-keep']);
  assert.ok(!existsSync(gone.netnsPath));
  assert.ok(!existsSync(`/run/netns/${opts.netnsPrefix}orphan`));
  assert.ok(existsSync(keep.netnsPath));
  assert.ok(!linkExists(hostVethName('rec-gone')));
});

test('removeAllPodNetworking leaves no namespace, veth, bridge or IPAM state behind', { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.68.0/24');
  const made = await Promise.all(['rm-a', 'rm-b', 'rm-c'].map((id) => net.setUp(id, pod(id))));
  await ip(['netns', 'add', `${opts.netnsPrefix}stray`]);
  // a process still inside one namespace does not stop the removal
  const sleeper = spawnInNetns(made[0]!.netnsPath, BUSYBOX, ['sleep', '30'], { stdio: 'ignore' });
  t.after(() => void sleeper.kill('SIGKILL'));
  const t0 = performance.now();
  await removeAllPodNetworking(opts);
  t.diagnostic(`removeAllPodNetworking (3 pods): ${(performance.now() - t0).toFixed(1)} ms`);
  assert.deepEqual((await readdir('/run/netns')).filter((n) => n.startsWith(opts.netnsPrefix)), []);
  assert.ok(!linkExists(opts.bridgeName));
  for (const id of ['rm-a', 'rm-b', 'rm-c']) assert.ok(!linkExists(hostVethName(id)));
  assert.ok(!existsSync(join(opts.stateDir, 'ipam')));
  assert.deepEqual(new PodNetwork(opts).list(), []);
  await removeAllPodNetworking(opts); // idempotent
});

for (const [podSide, skip] of POD_SIDES) {
test(`a setUp failing half-way removes what it made and frees the IP (pod side by ${podSide})`, { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.71.0/24', { podSide });
  await net.setUp('fail-a', pod('a'));
  // The bridge is replaced behind the PodNetwork's back by a link that cannot take ports.
  await ip(['link', 'del', opts.bridgeName]);
  await ip(['link', 'add', 'name', opts.bridgeName, 'type', 'veth', 'peer', 'name', `${opts.bridgeName}p`]);
  await assert.rejects(net.setUp('fail-b', pod('b')), (e) => {
    assert.ok(isNetworkError(e, 'NetworkSetupFailed'), String(e));
    assert.match(e.message, /master/);
    return true;
  });
  assert.equal(net.get('fail-b'), undefined);
  assert.ok(!existsSync(`/run/netns/${opts.netnsPrefix}fail-b`));
  assert.ok(!linkExists(hostVethName('fail-b')));
  assert.deepEqual(new PodNetwork(opts).list().map((x) => x.sandboxId), ['fail-a']);
});
}

for (const [podSide, skip] of POD_SIDES) {
test(`runInNetns passes stdin and stdout, and rejects with the exit code; mtu applies to bridge and veth pair (pod side by ${podSide})`, { skip }, async (t) => {
  const { net, opts } = await testPodNetwork(t, '198.18.77.0/28', { mtu: 1400, podSide });
  const { netnsPath } = await net.setUp('exec', pod('exec'));
  const [eth0] = await ipJson<{ mtu: number }>(['link', 'show', 'dev', 'eth0'], { netns: `${opts.netnsPrefix}exec` });
  const [host] = await ipJson<{ mtu: number }>(['link', 'show', 'dev', hostVethName('exec')]);
  const [br] = await ipJson<{ mtu: number }>(['link', 'show', 'dev', opts.bridgeName]);
  assert.deepEqual([eth0!.mtu, host!.mtu, br!.mtu], [1400, 1400, 1400]);
  const r = await runInNetns(netnsPath, BUSYBOX, ['cat'], { input: 'through stdin' });
  assert.equal(r.stdout, 'through stdin');
  assert.match((await runInNetns(netnsPath, 'ip', ['-o', 'link', 'show'])).stdout, /eth0@/);
  await assert.rejects(runInNetns(netnsPath, BUSYBOX, ['sh', '-c', 'echo oops >&2; exit 3']), (e) => {
    assert.ok(isNetworkError(e));
    assert.equal((e as unknown as { code: number }).code, 3);
    assert.match(e.message, /oops/);
    return true;
  });
});
}

for (const [podSide, skip] of POD_SIDES) {
test(`setUp makes the namespaces it is asked for by the process making the network namespace, and on its own for a complete sandbox (pod side by ${podSide})`, { skip }, async (t) => {
  const { net } = await testPodNetwork(t, '198.18.78.0/24', { podSide });
  const dir = await mkdtemp(join(tmpdir(), 'skiff-net-ns-'));
  const files = (n: string) => ({ uts: join(dir, `${n}-uts`), ipc: join(dir, `${n}-ipc`) });
  const mounted: string[] = [];
  t.after(async () => {
    for (const f of mounted) execFileSync('umount', [f]);
    await rm(dir, { recursive: true, force: true });
  });
  const hostUts = statSync('/proc/self/ns/uts').ino;
  const hostIpc = statSync('/proc/self/ns/ipc').ino;
  const nsfsDev = statSync('/proc/self/ns/uts').dev;
  const seen = new Set<number>();
  for (const [i, round] of ['fresh', 'again'].entries()) {
    const f = files(round);
    await writeFile(f.uts, '');
    await writeFile(f.ipc, '');
    const a = await net.setUp('nsx', pod('nsx'), { namespaces: f });
    mounted.push(f.uts, f.ipc);
    if (i === 0) assert.match((await runInNetns(a.netnsPath, 'ip', ['-o', '-4', 'addr', 'show', 'eth0'])).stdout, /198\.18\.78\.2\/24/);
    for (const [file, host] of [[f.uts, hostUts], [f.ipc, hostIpc]] as const) {
      const { ino, dev } = statSync(file);
      assert.equal(dev, nsfsDev, `${file} is a namespace (nsfs bind mount)`);
      assert.notEqual(ino, host, `${file} is a new namespace`);
      assert.ok(!seen.has(ino), `${file} is not an earlier namespace`);
      seen.add(ino);
    }
  }
  await net.tearDown('nsx');
});
}
