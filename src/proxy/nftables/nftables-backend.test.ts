// Real nft, real network namespaces with busybox httpd "pods" on a test bridge (root only).
// Pods inside 198.18.96.0/20, service CIDRs inside 198.18.160.0/20, tables skiff-test-pc-*.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { runInNetns } from '../../network/netns-exec.js';
import type { ProxyState } from '../model.js';
import { nft, nftTableExists } from '../../network/nft-command.js';
import { BUSYBOX, endpoint, httpGet, randomPort, servicePort, SKIP_UNLESS_ROOT as skip, testBackend, testPods, tryConnect } from './testing.js';

const execFileAsync = promisify(execFile);
/** busybox httpd reports IPv4 peers as [::ffff:a.b.c.d] */
const unmapped = (s: string) => s.trim().replace(/^\[::ffff:(.*)\]$/, '$1');
const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

test('ClusterIP: both backends over 30 connections from the node and from a pod; ClientIP affinity keeps one; no endpoints and the rest of the CIDR are refused at once; NodePort on 127.0.0.1 and the node IP', { skip }, async (t) => {
  const { pods, gateway } = await testPods(t, '198.18.96.0/24', ['web-a', 'web-b', 'client']);
  const [a, b, client] = pods as [typeof pods[0], typeof pods[0], typeof pods[0]];
  const backend = testBackend(t);
  const nodePort = randomPort(31000);
  const state: ProxyState = {
    serviceCIDRs: ['198.18.160.0/24'],
    nodeIPs: [gateway],
    services: [
      servicePort('default/web:', { clusterIPs: ['198.18.160.10'], nodePort, endpoints: [endpoint(a.ip), endpoint(b.ip)] }),
      servicePort('default/sticky:', { clusterIPs: ['198.18.160.11'], sessionAffinity: { timeoutSeconds: 60 }, endpoints: [endpoint(a.ip), endpoint(b.ip)] }),
      servicePort('default/empty:', { clusterIPs: ['198.18.160.12'], endpoints: [endpoint(a.ip, { ready: false })] }),
    ],
  };
  const t0 = performance.now();
  await backend.sync(state);
  t.diagnostic(`first sync (3 services): ${(performance.now() - t0).toFixed(1)} ms, ${backend.lastSync?.lines} lines`);

  const fromNode: string[] = [];
  for (let i = 0; i < 30; i++) fromNode.push(await httpGet('198.18.160.10', 80));
  const nodeCounts = count(fromNode);
  assert.deepEqual(Object.keys(nodeCounts).sort(), ['web-a', 'web-b'], JSON.stringify(nodeCounts));

  const fromPod: string[] = [];
  for (let i = 0; i < 30; i++) fromPod.push((await runInNetns(client.netnsPath, BUSYBOX, ['wget', '-qO-', 'http://198.18.160.10/'], { timeoutMs: 5000 })).stdout);
  assert.deepEqual(Object.keys(count(fromPod)).sort(), ['web-a', 'web-b'], JSON.stringify(count(fromPod)));
  // hairpin: a backend reaching its own Service
  const hairpin = new Set<string>();
  for (let i = 0; i < 10; i++) hairpin.add((await runInNetns(a.netnsPath, BUSYBOX, ['wget', '-qO-', 'http://198.18.160.10/'], { timeoutMs: 5000 })).stdout);
  assert.ok(hairpin.size >= 1 && [...hairpin].every((x) => x === 'web-a' || x === 'web-b'));

  const sticky: string[] = [];
  for (let i = 0; i < 15; i++) sticky.push(await httpGet('198.18.160.11', 80));
  assert.equal(new Set(sticky).size, 1, `affinity from the node: ${JSON.stringify(count(sticky))}`);
  const stickyPod = new Set<string>();
  for (let i = 0; i < 15; i++) stickyPod.add((await runInNetns(client.netnsPath, BUSYBOX, ['wget', '-qO-', 'http://198.18.160.11/'], { timeoutMs: 5000 })).stdout);
  assert.equal(stickyPod.size, 1, 'affinity from a pod');

  for (const [host, port, what] of [['198.18.160.12', 80, 'Service without ready endpoints'], ['198.18.160.10', 81, 'unknown port of a cluster IP'], ['198.18.160.99', 80, 'unused service CIDR address']] as const) {
    const c0 = performance.now();
    assert.equal(await tryConnect(host, port, 2000), 'ECONNREFUSED', what);
    assert.ok(performance.now() - c0 < 1000, `${what}: refused within a second`);
  }
  const p0 = performance.now();
  const podResult = await runInNetns(client.netnsPath, BUSYBOX, ['wget', '-T', '3', '-qO-', 'http://198.18.160.99/'], { timeoutMs: 5000 }).then(() => 'connected', () => 'failed');
  assert.equal(podResult, 'failed', 'from a pod too');
  assert.ok(performance.now() - p0 < 1000, 'from a pod: refused at once, not timed out');
  const viaLoopback = new Set<string>();
  const viaNodeIP = new Set<string>();
  for (let i = 0; i < 10; i++) viaLoopback.add(await httpGet('127.0.0.1', nodePort));
  for (let i = 0; i < 10; i++) viaNodeIP.add(await httpGet(gateway, nodePort));
  assert.ok([...viaLoopback, ...viaNodeIP].every((x) => x === 'web-a' || x === 'web-b'));
  assert.equal((await runInNetns(client.netnsPath, BUSYBOX, ['wget', '-qO-', `http://${gateway}:${nodePort}/`], { timeoutMs: 5000 })).stdout.startsWith('web-'), true, 'NodePort from a pod');

  // the table is ours alone and holds what we asked for
  const listed = JSON.parse(await nft(['-j', 'list', 'map', 'ip', backend.tag, 'service-ips'])) as { nftables: Array<{ map?: { elem?: unknown[] } }> };
  assert.equal(listed.nftables.find((x) => x.map)?.map?.elem?.length, 2);

  await backend.cleanup();
  assert.equal(await nftTableExists(backend.tag), false, 'cleanup removes the table');
});

test('an endpoint change is applied incrementally and measured; a Service removed takes its rules along', { skip }, async (t) => {
  const { pods, gateway, addPod } = await testPods(t, '198.18.97.0/24', ['e-a', 'e-b']);
  const backend = testBackend(t);
  const web = servicePort('default/web:', { clusterIPs: ['198.18.161.10'], endpoints: pods.map((p) => endpoint(p.ip)) });
  const other = servicePort('default/other:', { clusterIPs: ['198.18.161.11'], endpoints: [endpoint(pods[0]!.ip)] });
  const state = (services: typeof web[]): ProxyState => ({ serviceCIDRs: ['198.18.161.0/24'], nodeIPs: [gateway], services });
  await backend.sync(state([other, web]));
  assert.equal(backend.lastSync?.full, true);
  const c = await addPod('e-c');
  const t0 = performance.now();
  await backend.sync(state([other, { ...web, endpoints: [...web.endpoints, endpoint(c.ip)] }]));
  const ms = performance.now() - t0;
  t.diagnostic(`endpoint added: sync ${ms.toFixed(1)} ms (nft ${backend.lastSync?.nftMs.toFixed(1)} ms, ${backend.lastSync?.lines} lines)`);
  assert.equal(backend.lastSync?.full, false);
  assert.ok((backend.lastSync?.lines ?? 99) < 12, `incremental: ${backend.lastSync?.lines} lines`);
  const seen = new Set<string>();
  for (let i = 0; i < 40 && seen.size < 3; i++) seen.add(await httpGet('198.18.161.10', 80));
  assert.deepEqual([...seen].sort(), ['e-a', 'e-b', 'e-c']);

  await backend.sync(state([other, { ...web, endpoints: [] }]));
  assert.equal(await tryConnect('198.18.161.10', 80), 'ECONNREFUSED', 'no endpoints left → refused');
  await backend.sync(state([other]));
  const chains = JSON.parse(await nft(['-j', 'list', 'table', 'ip', backend.tag])) as { nftables: Array<{ chain?: { name: string } }> };
  // unique names: a listing taken while another test's nft transaction commits can repeat a chain
  const names = [...new Set(chains.nftables.flatMap((x) => (x.chain ? [x.chain.name] : [])))];
  assert.equal(names.filter((n) => /^(svc|ext|ep)-/.test(n)).length, 2, `only "other"'s chains are left: ${names.join(' ')}`);
  assert.equal(await tryConnect('198.18.161.10', 80), 'ECONNREFUSED', 'a removed Service address is in the CIDR: refused');
  assert.equal(await httpGet('198.18.161.11', 80), 'e-a');
  // nothing changed → nft is not run
  await backend.sync(state([other]));
  assert.equal(backend.lastSync?.lines, 0);
});

test('LoadBalancer on a node address is served on 127.0.0.1:PORT; a port with a local listener is not taken and reported PortInUse', { skip }, async (t) => {
  const { pods, gateway } = await testPods(t, '198.18.98.0/24', ['lb-a']);
  const events: string[] = [];
  const backend = testBackend(t, { onServiceEvent: (ns, name, type, reason, msg) => events.push(`${ns}/${name} ${type} ${reason}: ${msg}`) });
  const lbPort = randomPort(32000);
  const busy = createServer((s) => s.end('local listener'));
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => busy.close(() => r())));
  const busyPort = (busy.address() as { port: number }).port;
  const state: ProxyState = {
    serviceCIDRs: ['198.18.162.0/24'],
    nodeIPs: [gateway],
    services: [
      servicePort('default/lb:', { clusterIPs: ['198.18.162.10'], port: lbPort, nodePort: randomPort(31000), loadBalancerIPs: [gateway], endpoints: [endpoint(pods[0]!.ip)] }),
      servicePort('default/taken:', { clusterIPs: ['198.18.162.11'], port: busyPort, loadBalancerIPs: [gateway], endpoints: [endpoint(pods[0]!.ip)] }),
    ],
  };
  await backend.sync(state);
  assert.equal(await httpGet('127.0.0.1', lbPort), 'lb-a');
  assert.equal(await httpGet(gateway, lbPort), 'lb-a');
  assert.equal(await httpGet('198.18.162.11', busyPort), 'lb-a', 'the cluster IP of the other Service works');
  const local = await new Promise<string>((resolve, reject) => {
    import('node:net').then(({ connect }) => {
      const s = connect({ host: '127.0.0.1', port: busyPort });
      let got = '';
      s.on('data', (d) => (got += d)).on('end', () => resolve(got)).on('error', reject);
    });
  });
  assert.equal(local, 'local listener', 'the local server keeps its port');
  assert.equal(events.length, 1, events.join('\n'));
  assert.match(events[0]!, /^default\/taken Warning PortInUse: LoadBalancer port \d+\/TCP is already in use/);
  await backend.sync(state);
  assert.equal(events.length, 1, 'reported once, not at every sync');
});

test('externalTrafficPolicy Local keeps the client IP and uses only local endpoints; Cluster masquerades', { skip }, async (t) => {
  const { pods, gateway } = await testPods(t, '198.18.99.0/24', ['loc-a', 'loc-b', 'client']);
  const backend = testBackend(t);
  const [a, b, client] = pods as [typeof pods[0], typeof pods[0], typeof pods[0]];
  const localPort = randomPort(31000);
  const clusterPort = localPort + 1000;
  await backend.sync({
    serviceCIDRs: ['198.18.163.0/24'],
    nodeIPs: [gateway],
    services: [
      servicePort('default/local:', { clusterIPs: ['198.18.163.10'], nodePort: localPort, externalTrafficPolicy: 'Local', endpoints: [endpoint(a.ip, { local: true }), endpoint(b.ip, { local: false })] }),
      servicePort('default/cluster:', { clusterIPs: ['198.18.163.11'], nodePort: clusterPort, endpoints: [endpoint(a.ip)] }),
    ],
  });
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) seen.add((await runInNetns(client.netnsPath, BUSYBOX, ['wget', '-qO-', `http://${gateway}:${localPort}/`], { timeoutMs: 5000 })).stdout);
  assert.deepEqual([...seen], ['loc-a'], 'only the local endpoint');
  // the client address the endpoint sees: the pod's own with Local, the node's (masquerade) with Cluster
  const peer = async (port: number) => unmapped((await runInNetns(client.netnsPath, BUSYBOX, ['wget', '-qO-', `http://${gateway}:${port}/cgi-bin/peer`], { timeoutMs: 5000 })).stdout);
  assert.equal(await peer(localPort), client.ip, 'Local keeps the client IP');
  assert.equal(await peer(clusterPort), gateway, 'Cluster masquerades to the node address on the bridge');
  // from the node, 127.0.0.1 on a NodePort is masqueraded too (route_localnet)
  assert.equal(unmapped(await httpGet('127.0.0.1', clusterPort, '/cgi-bin/peer')), gateway);
  // from the node's own address to a pod on this node: no SNAT, the pod sees the address the node
  // chose for the cluster IP (a masquerade's random ports would meet the pod's TIME_WAIT sockets)
  const route = JSON.parse((await execFileAsync('ip', ['-j', 'route', 'get', '198.18.163.11'])).stdout) as { prefsrc?: string }[];
  assert.ok(route[0]?.prefsrc, 'the node has a source address for the cluster IP');
  assert.equal(unmapped(await httpGet('198.18.163.11', 80, '/cgi-bin/peer')), route[0]!.prefsrc);
});

test('1,000 Services: full sync and one endpoint change, measured', { skip }, async (t) => {
  const backend = testBackend(t, { setSysctls: false });
  const services = Array.from({ length: 1000 }, (_, i) =>
    servicePort(`bench/s${String(i).padStart(4, '0')}:`, {
      clusterIPs: [`198.18.${164 + (i >> 8)}.${i & 255}`],
      nodePort: 30000 + i,
      endpoints: [endpoint(`198.18.${100 + (i >> 8)}.${(i & 255)}`), endpoint(`198.18.${104 + (i >> 8)}.${(i & 255)}`)],
    }));
  // node ports on an address no packet goes to (198.18.189.254): on every local address they
  // would catch other tests' connections to 30000–30999 (127.0.0.1 included) and send them to
  // these made-up endpoints, off the machine
  const state = (s: typeof services): ProxyState => ({ serviceCIDRs: ['198.18.164.0/22'], nodeIPs: [], nodePortAddresses: ['198.18.189.254'], services: s });
  let t0 = performance.now();
  await backend.sync(state(services));
  const full = performance.now() - t0;
  const fullLines = backend.lastSync?.lines;
  const changes: number[] = [];
  for (let k = 0; k < 10; k++) {
    const i = 100 * k + 7;
    const changed = services.map((s, j) => (j === i ? { ...s, endpoints: [...s.endpoints, endpoint(`198.18.108.${k}`)] } : s));
    t0 = performance.now();
    await backend.sync(state(changed));
    changes.push(performance.now() - t0);
    assert.equal(backend.lastSync?.full, false);
  }
  changes.sort((x, y) => x - y);
  t.diagnostic(`1000 services: full sync ${full.toFixed(0)} ms (${fullLines} lines); one endpoint change: median ${changes[5]!.toFixed(1)} ms, max ${changes[9]!.toFixed(1)} ms (${backend.lastSync?.lines} lines)`);
  const listed = JSON.parse(await nft(['-j', 'list', 'map', 'ip', backend.tag, 'service-ips'])) as { nftables: Array<{ map?: { elem?: unknown[] } }> };
  assert.equal(listed.nftables.find((x) => x.map)?.map?.elem?.length, 1000);
});
