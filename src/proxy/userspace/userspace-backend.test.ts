// The userspace mode with real sockets, a real dummy interface and routes, real pods on a test
// bridge; as root only. Pods in 198.18.113.0/24, services in 198.18.177.0/24, tags skiff-test-pa-*.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { endpoint, HTTP_PORT, proxyBackendConformance, servicePort } from '../backend-conformance.js';
import { countAnswers, SKIP_UNLESS_ROOT, startTestPods, startUdpEcho, testTag, udpAsk } from '../backend-test-pods.js';
import { ipJson } from '../../network/ip-command.js';
import { routeMetric, vipInterfaceName } from './names.js';
import { UserspaceBackend } from './userspace-backend.js';

async function leftovers(tag: string): Promise<string[]> {
  const out: string[] = [];
  const name = vipInterfaceName(tag);
  if (existsSync(`/sys/class/net/${name}`)) out.push(`link ${name}`);
  const routes = await ipJson<{ dst: string; metric?: number }>(['route', 'show', 'type', 'unreachable']);
  for (const r of routes) if (r.metric === routeMetric(tag)) out.push(`route unreachable ${r.dst}`);
  return out;
}

proxyBackendConformance({
  mode: 'userspace',
  podCIDR: '198.18.113.0/24',
  serviceCIDR: '198.18.177.0/24',
  create: (tag) => new UserspaceBackend({ tag }),
  leftovers,
  extra: async ({ t, backend, pods, vip, state }) => {
    const a = pods.pods.a!;
    const b = pods.pods.b!;
    const client = pods.pods.client!;
    await t.test('an endpoint that refuses is retried on another (30 of 30 answered)', async () => {
      // the client pod serves nothing on HTTP_PORT: it refuses
      const flaky = servicePort('flaky', {
        clusterIPs: [vip(20)],
        port: 80,
        endpoints: [endpoint(a.ip, HTTP_PORT), endpoint(client.ip, HTTP_PORT), endpoint(b.ip, 9)],
      });
      await backend.sync(state([flaky]));
      const counts = await countAnswers(`http://${vip(20)}/`, 30);
      assert.deepEqual(counts, { a: 30 });
    });
    await t.test('UDP echo through a Service (per-client sessions)', async () => {
      await startUdpEcho(t, a, 5353);
      await startUdpEcho(t, b, 5353);
      const dns = servicePort('dns', {
        clusterIPs: [vip(21)],
        port: 53,
        protocol: 'UDP',
        endpoints: [endpoint(a.ip, 5353), endpoint(b.ip, 5353)],
      });
      await backend.sync(state([dns]));
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const answer = await udpAsk(vip(21), 53, `q${i}`);
        assert.match(answer, new RegExp(`^[ab]:q${i}$`));
        seen.add(answer[0]!);
      }
      assert.deepEqual([...seen].sort(), ['a', 'b']);
    });
    await t.test('UDP: an endpoint that refuses (ICMP port unreachable) is avoided by the client\'s retry', async () => {
      const dns = servicePort('dns', {
        clusterIPs: [vip(22)],
        port: 53,
        protocol: 'UDP',
        endpoints: [endpoint(a.ip, 5353), endpoint(client.ip, 5353)], // nothing listens on the client pod
      });
      await backend.sync(state([dns]));
      let retries = 0;
      for (let i = 0; i < 10; i++) {
        let answer: string | undefined;
        for (let attempt = 0; attempt < 2 && answer === undefined; attempt++) {
          answer = await udpAsk(vip(22), 53, `r${i}`, 500).catch(() => undefined);
          if (answer === undefined) retries++;
        }
        assert.equal(answer, `a:r${i}`, `query ${i}`);
      }
      t.diagnostic(`udp: ${retries} of 10 queries needed a retry`);
      assert.ok(retries <= 3, `${retries} retries: the refusing endpoint should be passed over after its first refusal`);
    });
    await t.test('throughput: an HTTP loop through the proxy vs direct to the pod (diagnostic)', async () => {
      const web = servicePort('web', { clusterIPs: [vip(10)], port: 80, endpoints: [endpoint(a.ip, HTTP_PORT)] });
      await backend.sync(state([web]));
      const errors: Record<string, number> = {};
      // the client runs in its own process, so it does not share the proxy's event loop
      const loop = async (host: string, port: number, ms: number): Promise<number> => {
        const script = `
          const http = require('http'); const agent = new http.Agent({ keepAlive: false });
          const end = performance.now() + ${ms}; let n = 0; const errors = {};
          const worker = async () => { while (performance.now() < end) await new Promise((resolve) => {
            http.request({ host: '${host}', port: ${port}, path: '/', agent }, (res) => res.resume().on('end', () => (n++, resolve())))
              .on('error', (e) => { errors[e.code] = (errors[e.code] || 0) + 1; resolve(); }).end(); }); };
          Promise.all([worker(), worker(), worker(), worker()]).then(() => console.log(JSON.stringify({ n, errors })));`;
        const out = await new Promise<string>((resolve, reject) =>
          execFile(process.execPath, ['-e', script], { timeout: ms + 10_000 }, (e, stdout) => (e ? reject(e) : resolve(stdout))),
        );
        const r = JSON.parse(out) as { n: number; errors: Record<string, number> };
        for (const [code, c] of Object.entries(r.errors)) errors[`${host} ${code}`] = (errors[`${host} ${code}`] ?? 0) + c;
        return (r.n * 1000) / ms;
      };
      // alternated, so neither side gets all of the warm-up or of the other jobs' load
      let direct = 0;
      let proxied = 0;
      const rounds = Number(process.env.SKIFF_BENCH_ROUNDS ?? 2);
      for (let round = 0; round < rounds; round++) {
        direct += (await loop(a.ip, HTTP_PORT, 1000)) / rounds;
        proxied += (await loop(vip(10), 80, 1000)) / rounds;
      }
      t.diagnostic(`userspace throughput (busybox httpd, new connection per request, 4 in flight): direct ${direct.toFixed(0)} req/s, through the proxy ${proxied.toFixed(0)} req/s (${((proxied / direct) * 100).toFixed(0)} %)`);
      t.diagnostic(`userspace throughput errors: ${JSON.stringify(errors)}`);
      assert.ok(proxied > 0);
      assert.ok(Object.values(errors).reduce((x, y) => x + y, 0) <= 2, `errors ${JSON.stringify(errors)}`);
    });
  },
});

test('userspace: a port taken on the node is a PortInUse event, not a silent failure', { skip: SKIP_UNLESS_ROOT }, async (t) => {
  const { createServer } = await import('node:net');
  const pods = await startTestPods(t, { cidr: '198.18.114.0/24', names: ['a'], serve: ['a'], httpPort: HTTP_PORT });
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const events: string[] = [];
  const backend = new UserspaceBackend({ tag: testTag(), onServiceEvent: (ns, name, type, reason, msg) => events.push(`${ns}/${name} ${type} ${reason}: ${msg}`) });
  t.after(() => backend.cleanup());
  const lb = servicePort('lb', {
    clusterIPs: ['198.18.177.200'],
    port,
    loadBalancerIPs: [pods.gateway],
    endpoints: [endpoint(pods.pods.a!.ip, HTTP_PORT)],
  });
  await backend.sync({ services: [lb], serviceCIDRs: ['198.18.177.192/26'], nodeIPs: [pods.gateway] });
  assert.equal(events.length, 1, events.join('\n'));
  assert.match(events[0]!, /^default\/lb Warning PortInUse: cannot listen on address 127\.0\.0\.1:\d+\/TCP: port already in use/);
  await backend.sync({ services: [lb], serviceCIDRs: ['198.18.177.192/26'], nodeIPs: [pods.gateway] });
  assert.equal(events.length, 1, 'reported once');
});
