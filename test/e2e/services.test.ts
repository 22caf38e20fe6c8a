// Issue 5's proof: Services that work, in every proxy mode, and cluster DNS. A `skiff server`
// with its node agent runs real pods (busybox httpd); the real kubectl, busybox's wget and
// nslookup inside pods and dig on the node check ClusterIP, NodePort, LoadBalancer, ExternalName,
// headless Services, ClientIP affinity, rejection without endpoints, scaling, DNS records — and
// that nothing of skiff remains once the cluster is gone.
//
// Needs root; skipped otherwise. Each mode gets its own cluster, bridge and pod CIDR.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SKIFF_MAIN, hostPortPodYaml, kubectl, httpGet, killallOk, kubectlOk, manifest, removeAgentCluster, startSkiff, waitUntil, type Skiff } from './harness.js';
import { writeBusyboxArchive } from '../../src/images/busybox-archive.js';
import { chainPrefix } from '../../src/proxy/iptables/names.js';
import { vipInterfaceName } from '../../src/proxy/userspace/names.js';

const ROOT = process.getuid?.() === 0;
const skip = !ROOT ? 'needs root (runc containers, network namespaces, proxy rules)' : !existsSync('/usr/sbin/runc') ? 'runc missing (npm test installs it as root)' : false;
const IMAGE = 'busybox:1.35.0';

/** How a TCP connect ends: 'connected', 'refused' (RST/ICMP), or 'timeout', and how long it took. */
function tryConnect(host: string, port: number, timeoutMs = 3000): Promise<{ outcome: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (outcome: string) => {
      s.destroy();
      resolve({ outcome, ms: Date.now() - t0 });
    };
    s.setTimeout(timeoutMs, () => done('timeout'));
    s.once('connect', () => done('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'refused' : e.code ?? 'error'));
  });
}

function dig(dnsIP: string, args: string[]): string {
  return execFileSync('dig', [`@${dnsIP}`, '+time=2', '+tries=1', ...args], { encoding: 'utf8', timeout: 10_000 });
}

// Every cluster on the machine rejects addresses of its service CIDR it has no rule for, so each
// one that runs a node (this file's three, node.test.ts's) has a service CIDR of its own.
const MODES = [
  { mode: 'nftables', cidr: '198.18.16.0/22', serviceCIDR: '198.19.240.0/22', dnsIP: '198.19.240.10', bridge: 'sksvcn0', lbPort: 18081 },
  { mode: 'iptables', cidr: '198.18.20.0/22', serviceCIDR: '198.19.244.0/22', dnsIP: '198.19.244.10', bridge: 'sksvci0', lbPort: 18082 },
  { mode: 'userspace', cidr: '198.18.24.0/22', serviceCIDR: '198.19.248.0/22', dnsIP: '198.19.248.10', bridge: 'sksvcu0', lbPort: 18083 },
] as const;

for (const m of MODES) {
  describe(`Services and DNS, proxy mode ${m.mode}`, { skip, timeout: 600_000 }, () => {
    let s: Skiff;
    let dataDir: string;
    let nodeIP = '';
    const hostPort = m.lbPort + 10;

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), `skiff-svc-${m.mode}-`));
      mkdirSync(join(dataDir, 'agent', 'images'), { recursive: true });
      await writeBusyboxArchive(join(dataDir, 'agent', 'images', 'busybox.tar'));
      s = await startSkiff({
        dataDir,
        agent: true,
        timeoutMs: 30_000,
        // the nftables cluster's API listens on every address, so pods (and the node) can reach it
        // through the kubernetes Service; the others' on loopback only
        args: ['--storage', 'memory', '--cluster-cidr', m.cidr, '--node-cidr-mask-size', '24', '--service-cidr', m.serviceCIDR, '--pod-bridge', m.bridge, '--kubelet-port', '0', '--node-name', `svc-${m.mode}`, '--proxy-mode', m.mode, ...(m.mode === 'nftables' ? ['--bind', '0.0.0.0'] : [])],
      });
      await ok('wait', '--for=condition=Ready', `node/svc-${m.mode}`, '--timeout=60s');
      nodeIP = await ok('get', 'node', `svc-${m.mode}`, '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}');
      await until('default service account', async () => (await kubectl(s, ['get', 'sa', 'default'])).code === 0);
      await ok(
        'apply',
        '-f',
        manifest(
          s,
          'web.yaml',
          `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: ${IMAGE}
        command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: ${m.lbPort}, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: sticky}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: example.org
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: ${IMAGE}, command: [sleep, '3600']}]
---
${hostPortPodYaml({ name: 'hp', image: IMAGE, hostPort, body: 'published', docRoot: '/www' })}`,
        ),
      );
      await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
      await ok('wait', '--for=condition=Ready', 'pod/client', 'pod/hp', '--timeout=60s');
    });

    after(() => removeAgentCluster(s, dataDir));

    const ok = (...args: string[]) => kubectlOk(s, args);
    const until = (what: string, check: () => Promise<boolean>, timeoutMs = 60_000, stepMs = 250) => waitUntil(what, check, { timeoutMs, stepMs });
    const clusterIP = async (name: string) => (await ok('get', 'svc', name, '-o', 'jsonpath={.spec.clusterIP}')).trim();
    const webPods = async () => (await ok('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')).trim().split(/\s+/).sort();
    /** `count` requests from the client pod (one kubectl exec), the set of answering pods */
    const fromClient = async (url: string, count: number) => {
      const out = await ok('exec', 'client', '--', 'sh', '-c', `for i in $(seq ${count}); do wget -qO- ${url}; done`);
      return out.trim().split('\n');
    };

    it('from a client pod, wget http://web reaches the Deployment, and over 30 requests both pods', async () => {
      const answers = await fromClient('http://web', 30);
      assert.equal(answers.length, 30);
      assert.deepEqual([...new Set(answers)].sort(), await webPods());
    });

    it('web.default.svc.cluster.local resolves in a pod (nslookup) to the ClusterIP', async () => {
      const out = await ok('exec', 'client', '--', 'nslookup', 'web.default.svc.cluster.local');
      assert.ok(out.includes(await clusterIP('web')), out);
    });

    it('the ClusterIP answers from the node', async () => {
      const pods = await webPods();
      assert.ok(pods.includes((await httpGet(await clusterIP('web'), 80)).trim()));
    });

    it('the kubernetes Service leads to the API server: endpoint = node IP and API port (none when the API listens on loopback only)', async () => {
      if (m.mode !== 'nftables') {
        assert.match((await kubectl(s, ['get', 'endpointslice', 'kubernetes'])).stderr, /NotFound|not found/);
        return;
      }
      const want = `${nodeIP}:${s.port}`;
      await until('the kubernetes endpoint', async () => (await ok('get', 'endpointslice', 'kubernetes', '-o', 'jsonpath={.endpoints[0].addresses[0]}:{.ports[0].port}')).trim() === want);
      assert.equal((await ok('get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}')).trim(), want);
      await until("the Service's targetPort to be the API's port", async () => (await ok('get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.ports[0].targetPort}')).trim() === String(s.port));
      // the real kubectl through the Service's ClusterIP (the proxy's rules) to the API, verifying
      // the server's certificate under the name pods use
      const version = await ok('--server', `https://${await clusterIP('kubernetes')}:443`, '--tls-server-name', 'kubernetes.default.svc', 'get', '--raw', '/version');
      assert.match(version, /"gitVersion"/);
    });

    it('NodePort answers on 127.0.0.1 and on the node IP', async () => {
      const port = Number(await ok('get', 'svc', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}'));
      const pods = await webPods();
      assert.ok(pods.includes((await httpGet('127.0.0.1', port)).trim()));
      assert.ok(pods.includes((await httpGet(nodeIP, port)).trim()));
    });

    it('LoadBalancer: status.loadBalancer.ingress is filled and 127.0.0.1:PORT answers', async () => {
      await until('ingress', async () => (await ok('get', 'svc', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim() === nodeIP);
      const pods = await webPods();
      await until('LB port to answer', async () => pods.includes((await httpGet('127.0.0.1', m.lbPort)).trim()), 10_000);
    });

    it('hostPort: the container answers on 127.0.0.1 and the node IP, from the node, from another pod and from itself; gone with the pod', async () => {
      assert.equal((await httpGet('127.0.0.1', hostPort)).trim(), 'published');
      assert.equal((await httpGet(nodeIP, hostPort)).trim(), 'published');
      assert.equal((await ok('exec', 'client', '--', 'wget', '-qO-', `http://${nodeIP}:${hostPort}`)).trim(), 'published', 'another pod of the node');
      assert.equal((await ok('exec', 'hp', '--', 'wget', '-qO-', `http://${nodeIP}:${hostPort}`)).trim(), 'published', 'the pod itself (hairpin)');
      await ok('delete', 'pod', 'hp', '--wait=true', '--timeout=60s');
      await until('the hostPort to be withdrawn', async () => (await tryConnect('127.0.0.1', hostPort, 1000)).outcome === 'refused', 10_000);
    });

    it('DNS: ExternalName is a CNAME, headless gives the pod IPs, SRV and PTR answer, missing names are NXDOMAIN, TCP works', async () => {
      assert.match(dig(m.dnsIP, ['+short', 'ext.default.svc.cluster.local', 'CNAME']), /^example\.org\.$/m);
      const podIPs = (await ok('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.podIP}')).trim().split(/\s+/).sort();
      assert.deepEqual(dig(m.dnsIP, ['+short', 'web-headless.default.svc.cluster.local']).trim().split('\n').sort(), podIPs);
      assert.match(dig(m.dnsIP, ['+short', '_http._tcp.web.default.svc.cluster.local', 'SRV']), /\d+ \d+ 80 web\.default\.svc\.cluster\.local\./);
      const ip = await clusterIP('web');
      assert.match(dig(m.dnsIP, ['+short', '-x', ip]), /^web\.default\.svc\.cluster\.local\.$/m);
      assert.match(dig(m.dnsIP, ['missing.default.svc.cluster.local']), /status: NXDOMAIN/);
      assert.match(dig(m.dnsIP, ['+tcp', '+short', 'web.default.svc.cluster.local']), new RegExp(`^${ip.replace(/\./g, '\\.')}$`, 'm'));
    });

    it('ClientIP affinity keeps one backend over 15 requests', async () => {
      const answers = await fromClient('http://sticky', 15);
      assert.equal(answers.length, 15);
      assert.equal(new Set(answers).size, 1, `answers: ${answers.join(',')}`);
    });

    it('a Service with no endpoints refuses within a second', async () => {
      const r = await tryConnect(await clusterIP('nobody'), 80);
      assert.equal(r.outcome, 'refused');
      assert.ok(r.ms < 1000, `took ${r.ms} ms`);
    });

    it('scaling the Deployment to 3 brings the third backend into rotation within 2 s of it being ready (Deployment rolled out)', async () => {
      const ip = await clusterIP('web'); // once, not per request: the 2 s are the proxy's, not kubectl's
      await ok('scale', 'deployment/web', '--replicas=3');
      await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
      const pods = await webPods();
      assert.equal(pods.length, 3);
      // Counted from when the test knows all three are ready (rolled out and listed), so that the
      // time kubectl itself takes on a loaded machine is not counted against the proxy.
      const ready = Date.now();
      const seen = new Set<string>();
      await until('all three answering', async () => {
        for (let i = 0; i < 10; i++) seen.add((await httpGet(ip, 80)).trim());
        return pods.every((p) => seen.has(p));
      }, 10_000, 50);
      assert.ok(Date.now() - ready < 2000, `third backend seen after ${Date.now() - ready} ms`);
    });

    it('after the Services and the cluster are gone, no rule, route or socket of skiff remains', async () => {
      const tag = JSON.parse(readFileSync(join(dataDir, 'agent', 'agent.json'), 'utf8')) as { proxyTag?: string; cgroupParent: string };
      await ok('delete', 'svc', '--all');
      await s.stop();
      killallOk(dataDir);
      const name = tag.proxyTag ?? tag.cgroupParent;
      assert.ok(!execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(name), 'no nftables table');
      assert.ok(!execFileSync('iptables-save', { encoding: 'utf8' }).includes(`:${chainPrefix(name)}`), 'no iptables chain');
      const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
      assert.ok(!links.includes(m.bridge), 'no bridge');
      assert.ok(!links.includes(vipInterfaceName(name)), 'no userspace VIP interface');
      assert.ok(!execFileSync('ip', ['route', 'show', 'table', 'all'], { encoding: 'utf8' }).includes(m.serviceCIDR), 'no service CIDR route');
      assert.equal((await tryConnect('127.0.0.1', m.lbPort, 1000)).outcome, 'refused', 'no LoadBalancer socket or rule');
      assert.ok(!execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(`${name}-hostports`), 'no hostPort table');
    });
  });
}
