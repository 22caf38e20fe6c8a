// Issue 4's proof: the real node. A `skiff server` with its agent runs pods as runc containers
// with their own IPs on a test bridge, and the real kubectl drives them: readiness, probes,
// ConfigMaps, Jobs, OOM kills, exec, logs, port-forward, cp, image pulls from a real registry on
// loopback, adoption after SIGKILL, and `skiff killall` leaving nothing behind.
//
// Needs root (runc, network namespaces); skipped otherwise. Pod network 198.18.32.0/20 and bridge
// `sktnode0` are this file's own, so it can run beside other test files.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SKIFF_MAIN, hostPortPodYaml, kubectl, httpGet, killallOk, kubectlOk, manifest, startSkiff, waitUntil, type Skiff } from './harness.js';
import { buildBusyboxImage, writeBusyboxArchive } from '../../src/images/busybox-archive.js';
import { pushImage, startRegistry, type TestRegistry } from '../../src/images/testing.js';
import bcrypt from 'bcryptjs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROOT = process.getuid?.() === 0;
/** SKIFF_CONTAINER_RUNTIME=crun runs this file's pods with crun (the harness passes --container-runtime) */
const RUNTIME = process.env.SKIFF_CONTAINER_RUNTIME === 'crun' ? 'crun' : 'runc';
const HAVE_RUNC = existsSync(RUNTIME === 'crun' ? '/usr/bin/crun' : '/usr/sbin/runc') && existsSync('/usr/bin/conmon');
const skip = !ROOT ? 'needs root (runc containers, network namespaces)' : !HAVE_RUNC ? `${RUNTIME} or conmon missing (npm test installs them as root)` : false;

const BRIDGE = 'sktnode0';
/** published by the hostPort pod (unique on the machine: other test files run clusters at the same time) */
const HOST_PORT = 18095;
const CLUSTER_CIDR = '198.18.32.0/20';
/** its own: every cluster running a node rejects addresses of its service CIDR it has no rule for */
const SERVICE_CIDR = '198.19.224.0/20';
const IMAGE = 'busybox:1.35.0';

/** GET http://ip:port/path from the node; resolves the body or rejects. */
function skiffCli(args: string[]): string {
  return execFileSync(process.execPath, [SKIFF_MAIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

describe('the real node: runc pods driven by kubectl', { skip, timeout: 600_000 }, () => {
  let s: Skiff;
  let dataDir: string;
  let registry: TestRegistry | undefined;
  const serverArgs = () => ['--storage', 'sqlite', '--cluster-cidr', CLUSTER_CIDR, '--service-cidr', SERVICE_CIDR, '--pod-bridge', BRIDGE, '--kubelet-port', '0', '--node-name', 'skiff-e2e-node'];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-node-e2e-'));
    // Air-gapped start: an image archive dropped into DATA/agent/images/ is imported at start.
    mkdirSync(join(dataDir, 'agent', 'images'), { recursive: true });
    await writeBusyboxArchive(join(dataDir, 'agent', 'images', 'busybox.tar'));
    s = await startSkiff({ dataDir, agent: true, args: serverArgs(), timeoutMs: 30_000 });
    const r = await kubectl(s, ['wait', '--for=condition=Ready', 'node/skiff-e2e-node', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr + s.output());
    // the node's podCIDR is assigned and the default ServiceAccount exists before pods are made
    await until('default service account', async () => (await kubectl(s, ['get', 'sa', 'default'])).code === 0);
  });

  after(async () => {
    try {
      await kubectl(s, ['delete', 'all', '--all', '--wait=false']).catch(() => undefined);
      await s?.stop();
    } finally {
      await registry?.stop();
      try {
        skiffCli(['killall', '--data-dir', dataDir]);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });

  const ok = (...args: string[]) => kubectlOk(s, args);
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(...args, '-o', 'json')) as T;
  const until = (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => waitUntil(what, check, { timeoutMs, context: () => s.output().slice(-4000) });
  type Pod = {
    metadata: { name: string; uid: string };
    status: {
      phase?: string;
      podIP?: string;
      containerStatuses?: { name: string; ready: boolean; restartCount: number; containerID?: string; state: { terminated?: { reason?: string; exitCode: number }; running?: object; waiting?: { reason?: string } } }[];
    };
  };
  const pod = (name: string) => json<Pod>('get', 'pod', name);
  const podsOf = async (selector: string) => (await json<{ items: Pod[] }>('get', 'pods', '-l', selector)).items;

  it('a 2-replica busybox httpd Deployment with a readinessProbe becomes 2/2 Ready and both pod IPs answer HTTP from the node', async () => {
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
      terminationGracePeriodSeconds: 2
      containers:
      - name: httpd
        image: ${IMAGE}
        command: [sh, -c, 'mkdir -p /srv/node-e2e && echo "hello from $(hostname)" > /srv/node-e2e/index.html && exec httpd -f -p 8080 -h /srv/node-e2e']
        ports: [{containerPort: 8080, name: http}]
        readinessProbe:
          httpGet: {path: /index.html, port: http}
          periodSeconds: 1
`,
      ),
    );
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    const pods = await podsOf('app=web');
    assert.equal(pods.length, 2);
    const ips = new Set(pods.map((p) => p.status.podIP));
    assert.equal(ips.size, 2, 'each pod has its own IP');
    for (const p of pods) {
      assert.ok(p.status.podIP?.startsWith('198.18.3'), `pod IP ${p.status.podIP} from the node's podCIDR`);
      assert.equal(p.status.containerStatuses?.[0].ready, true);
      assert.match(p.status.containerStatuses?.[0].containerID ?? '', new RegExp(`^${RUNTIME}://[0-9a-f]{64}$`));
      assert.equal(await httpGet(p.status.podIP!, 8080, '/index.html'), `hello from ${p.metadata.name}\n`);
    }
  });

  it('kubectl exec prints the pod name as hostname and propagates exit codes', async () => {
    const [p] = await podsOf('app=web');
    assert.equal((await ok('exec', p.metadata.name, '--', 'hostname')).trim(), p.metadata.name);
    const r = await kubectl(s, ['exec', p.metadata.name, '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3, r.stderr);
    const i = await kubectl(s, ['exec', '-i', p.metadata.name, '--', 'sh', '-c', 'tr a-z A-Z'], { input: 'piped stdin\n' });
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout, 'PIPED STDIN\n');
  });

  it('port-forward reaches the pod and cp copies files both ways', async () => {
    const [p] = await podsOf('app=web');
    const pf = spawn('kubectl', ['--kubeconfig', s.kubeconfig, 'port-forward', `pod/${p.metadata.name}`, ':8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      pf.stdout.on('data', (d: Buffer) => (out += d.toString()));
      pf.stderr.on('data', (d: Buffer) => (out += d.toString()));
      let port = 0;
      await until('port-forward to listen', async () => {
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) port = Number(m[1]);
        return port > 0;
      }, 20_000);
      assert.equal(await httpGet('127.0.0.1', port, '/index.html', 5000), `hello from ${p.metadata.name}\n`);
      assert.equal(await httpGet('127.0.0.1', port, '/index.html', 5000), `hello from ${p.metadata.name}\n`, 'a second connection works too');
    } finally {
      pf.kill();
    }

    const local = join(s.dataDir, 'cp-in.txt');
    writeFileSync(local, 'copied into the pod\n'.repeat(100));
    await ok('cp', local, `${p.metadata.name}:/tmp/cp-in.txt`);
    assert.equal(await ok('exec', p.metadata.name, '--', 'sh', '-c', 'wc -l < /tmp/cp-in.txt'), '100\n');
    const back = join(s.dataDir, 'cp-out.txt');
    await ok('cp', `${p.metadata.name}:/tmp/cp-in.txt`, back);
    assert.equal(readFileSync(back, 'utf8'), readFileSync(local, 'utf8'));
  });

  it('two containers of one pod talk over localhost; env from a ConfigMap, the pod name and the Services arrive; a configMap volume is mounted', async () => {
    // a Service that exists before the pod: its docker-link style variables reach the container
    await ok('create', 'service', 'clusterip', 'greeter', '--tcp=8080:9090');
    const greeterIP = (await ok('get', 'service', 'greeter', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    await ok('create', 'configmap', 'greeting', '--from-literal=GREETING=hello', '--from-literal=file.txt=from the volume');
    await ok(
      'apply',
      '-f',
      manifest(
        s,
        'duo.yaml',
        `apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: cfg, configMap: {name: greeting}}]
  containers:
  - name: server
    image: ${IMAGE}
    command: [sh, -c, 'mkdir /www && echo "served over localhost" > /www/index.html && exec httpd -f -p 9090 -h /www']
  - name: client
    image: ${IMAGE}
    env:
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: greeting, key: GREETING}}}
    - {name: MY_POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    volumeMounts: [{name: cfg, mountPath: /cfg, readOnly: true}]
    command: [sh, -c, 'echo "$GREETING $MY_POD"; echo "greeter at $GREETER_SERVICE_HOST:$GREETER_SERVICE_PORT"; cat /cfg/file.txt; echo; until wget -qO- http://127.0.0.1:9090/index.html; do sleep 0.2; done; exec sleep 3600']
`,
      ),
    );
    await ok('wait', '--for=condition=Ready', 'pod/duo', '--timeout=60s');
    await until('client output', async () => {
      const logs = await ok('logs', 'duo', '-c', 'client');
      return logs.includes('hello duo\n') && logs.includes('from the volume') && logs.includes('served over localhost');
    });
    assert.match(await ok('logs', 'duo', '-c', 'client'), new RegExp(`greeter at ${greeterIP.replaceAll('.', '\\.')}:8080\n`));
    await ok('delete', 'service', 'greeter');
  });

  it('kubectl logs -f streams, with --tail and --timestamps', async () => {
    await ok('run', 'ticker', `--image=${IMAGE}`, '--restart=Never', '--', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done');
    await ok('wait', '--for=condition=Ready', 'pod/ticker', '--timeout=60s');
    const f = spawn('kubectl', ['--kubeconfig', s.kubeconfig, 'logs', '-f', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      f.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await until('three streamed lines', async () => (out.match(/tick \d+/g) ?? []).length >= 3 + 5, 20_000);
      const seen = (out.match(/tick \d+/g) ?? []).length;
      await sleep(1000);
      assert.ok((out.match(/tick \d+/g) ?? []).length > seen, 'lines keep arriving while following');
    } finally {
      f.kill();
    }
    const tail = await ok('logs', 'ticker', '--tail=2', '--timestamps');
    const lines = tail.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tick \d+$/);
    await ok('delete', 'pod', 'ticker', '--grace-period=1');
  });

  it('a Job with exit 0 completes and one with exit 1 fails at its backoffLimit', async () => {
    await ok('create', 'job', 'good', `--image=${IMAGE}`, '--', 'sh', '-c', 'exit 0');
    await ok('apply', '-f', manifest(s, 'bad.yaml', `apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: bad, image: ${IMAGE}, command: [sh, -c, 'exit 1']}]
`));
    await ok('wait', '--for=condition=Complete', 'job/good', '--timeout=60s');
    await ok('wait', '--for=condition=Failed', 'job/bad', '--timeout=90s');
    const bad = await json<{ status: { failed?: number; conditions: { type: string; reason?: string }[] } }>('get', 'job', 'bad');
    assert.equal(bad.status.failed, 2);
    assert.equal(bad.status.conditions.find((c) => c.type === 'Failed')?.reason, 'BackoffLimitExceeded');
  });

  it('a container over its memory limit is OOMKilled', async () => {
    await ok('apply', '-f', manifest(s, 'oom.yaml', `apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: ${IMAGE}
    resources: {limits: {memory: 20Mi}}
    command: [sh, -c, 'exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=60']
`));
    let last = '';
    await until('OOMKilled', async () => {
      const p = await pod('oom');
      last = JSON.stringify({ phase: p.status.phase, containerStatuses: p.status.containerStatuses });
      return p.status.containerStatuses?.[0].state.terminated?.reason === 'OOMKilled';
    }).catch((e: Error) => {
      throw new Error(`${e.message}\nthe pod's last status: ${last}`);
    });
    assert.equal((await pod('oom')).status.phase, 'Failed');
  });

  it('a failing liveness probe restarts the container', async () => {
    await ok('apply', '-f', manifest(s, 'live.yaml', `apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${IMAGE}
    command: [sh, -c, 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600']
    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 1}
`));
    await until('a restart', async () => ((await pod('live')).status.containerStatuses?.[0].restartCount ?? 0) >= 1);
  });

  it("a pod failing its readinessProbe is only in the Service's notReadyAddresses", async () => {
    await ok('apply', '-f', manifest(s, 'unready.yaml', `apiVersion: v1
kind: Pod
metadata: {name: unready, labels: {app: unready}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${IMAGE}
    command: [sleep, '3600']
    readinessProbe: {exec: {command: ['false']}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: unready}
spec:
  selector: {app: unready}
  ports: [{port: 80}]
`));
    await until('pod running', async () => (await pod('unready')).status.phase === 'Running');
    const ip = (await pod('unready')).status.podIP;
    await until('notReadyAddresses', async () => {
      const ep = await json<{ subsets?: { addresses?: { ip: string }[]; notReadyAddresses?: { ip: string }[] }[] }>('get', 'endpoints', 'unready');
      const subset = ep.subsets?.[0];
      return subset?.notReadyAddresses?.some((a) => a.ip === ip) === true && !subset.addresses?.length;
    });
    assert.equal((await pod('unready')).status.containerStatuses?.[0].ready, false);
  });

  it('an image is pulled from a registry on loopback', async () => {
    registry = await startRegistry();
    const ref = `${registry.host}/e2e/busybox:pulled`;
    await pushImage({ host: registry.host, repository: 'e2e/busybox' }, (await buildBusyboxImage()).image, 'pulled');
    await ok('run', 'pulled', `--image=${ref}`, '--restart=Never', '--', 'sh', '-c', 'echo pulled-ok; sleep 3600');
    await ok('wait', '--for=condition=Ready', 'pod/pulled', '--timeout=60s');
    await until('log line', async () => (await ok('logs', 'pulled')).includes('pulled-ok'));
    const events = await ok('get', 'events', '--field-selector', 'involvedObject.name=pulled', '-o', 'jsonpath={.items[*].reason}');
    assert.match(events, /Pulled/);
    const missing = `${registry.host}/e2e/nothing:here`;
    await ok('run', 'nopull', `--image=${missing}`, '--restart=Never');
    await until('ErrImagePull or ImagePullBackOff', async () => /ErrImagePull|ImagePullBackOff/.test((await pod('nopull')).status.containerStatuses?.[0].state.waiting?.reason ?? ''));
    await ok('delete', 'pod', 'nopull', 'pulled', '--grace-period=1');
  });

  it('imagePullSecrets: a private registry (basic auth) pulls with the pod\'s docker-registry secret, and fails without it', async () => {
    const priv = await startRegistry({ htpasswd: `e2e:${bcrypt.hashSync('pw-e2e', 4)}\n` });
    try {
      const authorization = `Basic ${Buffer.from('e2e:pw-e2e').toString('base64')}`;
      await pushImage({ host: priv.host, repository: 'private/busybox', authorization }, (await buildBusyboxImage()).image, 'v1');
      const ref = `${priv.host}/private/busybox:v1`;
      await ok('create', 'secret', 'docker-registry', 'regcred', `--docker-server=${priv.host}`, '--docker-username=e2e', '--docker-password=pw-e2e');
      await ok('apply', '-f', manifest(s, 'private.yaml', `apiVersion: v1
kind: Pod
metadata: {name: private}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  imagePullSecrets: [{name: regcred}]
  containers: [{name: c, image: ${ref}, command: [sleep, '3600']}]
---
apiVersion: v1
kind: Pod
metadata: {name: nocreds}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  # Always: the image is on the node by now, and IfNotPresent would use it without credentials
  containers: [{name: c, image: ${ref}, imagePullPolicy: Always, command: [sleep, '3600']}]
`));
      await ok('wait', '--for=condition=Ready', 'pod/private', '--timeout=60s');
      await until('nocreds to fail pulling', async () => /ErrImagePull|ImagePullBackOff/.test((await pod('nocreds')).status.containerStatuses?.[0].state.waiting?.reason ?? ''), 30_000).catch(async (e: unknown) => {
        const events = await ok('get', 'events', '--field-selector', 'involvedObject.name=nocreds', '-o', 'jsonpath={.items[*].message}');
        assert.fail(`${String(e)}\nstatus: ${JSON.stringify((await pod('nocreds')).status)}\nevents: ${events}`);
      });
      const events = await ok('get', 'events', '--field-selector', 'involvedObject.name=nocreds', '-o', 'jsonpath={.items[*].message}');
      assert.match(events, /unauthorized|authentication required/i);
      await ok('delete', 'pod', 'private', 'nocreds', '--grace-period=1');
    } finally {
      await priv.stop();
    }
  });

  it('deleting a pod stops its processes and frees its IP and network namespace', async () => {
    await ok('run', 'doomed', `--image=${IMAGE}`, '--restart=Never', '--', 'sleep', '3600');
    await ok('wait', '--for=condition=Ready', 'pod/doomed', '--timeout=60s');
    const p = await pod('doomed');
    const netnsBefore = readdirSync('/run/netns');
    const sleeping = () => execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => / sleep 3600$/.test(l.trim()) || l.trim().endsWith('sleep 3600'));
    const before = sleeping().length;
    await ok('delete', 'pod', 'doomed', '--grace-period=1');
    await until('the sleep process to end', async () => sleeping().length < before);
    await until('its netns to go', async () => readdirSync('/run/netns').length < netnsBefore.length);
    const leftovers = () => readdirRecursive(join(dataDir, 'agent')).filter((f) => f.includes(p.metadata.uid));
    await until(`nothing of pod ${p.metadata.uid} to remain under agent/`, async () => leftovers().length === 0, 15_000).catch(() =>
      assert.fail(`left behind: ${leftovers().slice(0, 10).join(', ')}`),
    );
    // its IP is free again: a ping-less check — nothing answers on it
    await assert.rejects(httpGet(p.status.podIP!, 8080, '/', 500));
  });

  it('SIGKILL of skiff leaves pods serving, hostPorts too; the restarted skiff adopts them with restartCount unchanged, and withdraws a hostPort when its pod goes', async () => {
    await ok('apply', '-f', manifest(s, 'hp.yaml', hostPortPodYaml({ name: 'hp', image: IMAGE, hostPort: HOST_PORT, body: 'published', docRoot: '/srv/node-e2e' })));
    await ok('wait', '--for=condition=Ready', 'pod/hp', '--timeout=60s');
    assert.equal((await httpGet('127.0.0.1', HOST_PORT, '/index.html')).trim(), 'published');
    const before = await podsOf('app=web');
    await s.stop('SIGKILL');
    assert.equal((await httpGet('127.0.0.1', HOST_PORT, '/index.html')).trim(), 'published', 'the hostPort still answers with skiff dead');
    for (const p of before) assert.equal(await httpGet(p.status.podIP!, 8080, '/index.html'), `hello from ${p.metadata.name}\n`, 'still serving with skiff dead');
    s = await startSkiff({ dataDir, agent: true, args: serverArgs(), timeoutMs: 30_000 });
    await ok('wait', '--for=condition=Ready', 'node/skiff-e2e-node', '--timeout=60s');
    await sleep(3000); // a few sync loops of the new kubelet
    await ok('rollout', 'status', 'deployment/web', '--timeout=60s');
    const afterPods = await podsOf('app=web');
    assert.deepEqual(
      afterPods.map((p) => [p.metadata.name, p.status.containerStatuses?.[0].containerID, p.status.containerStatuses?.[0].restartCount]).sort(),
      before.map((p) => [p.metadata.name, p.status.containerStatuses?.[0].containerID, p.status.containerStatuses?.[0].restartCount]).sort(),
    );
    for (const p of afterPods) assert.equal(await httpGet(p.status.podIP!, 8080, '/index.html'), `hello from ${p.metadata.name}\n`);
    assert.equal((await httpGet('127.0.0.1', HOST_PORT, '/index.html')).trim(), 'published', 'the hostPort answers after the restart');
    await ok('delete', 'pod', 'hp', '--wait=true', '--timeout=60s');
    // the restarted node rebuilt its hostPort table from the adopted sandbox, so the pod's going empties it (and the table goes)
    const { proxyTag } = JSON.parse(readFileSync(join(dataDir, 'agent', 'agent.json'), 'utf8')) as { proxyTag: string };
    await until('the hostPort table to be removed', async () => !execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(`${proxyTag}-hostports`), 10_000);
    await assert.rejects(httpGet('127.0.0.1', HOST_PORT, '/index.html', 500));
  });

  it('skiff killall leaves no container, namespace, link, mount or cgroup behind', async () => {
    await s.stop();
    const agent = JSON.parse(readFileSync(join(dataDir, 'agent', 'agent.json'), 'utf8')) as { cgroupParent: string; netnsPrefix: string };
    assert.ok(readdirSync('/run/netns').some((n) => n.startsWith(agent.netnsPrefix)), 'pods still have their namespaces before killall');
    killallOk(dataDir);
    assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(agent.netnsPrefix)), [], 'no network namespace left');
    for (const controller of ['memory', 'cpu', 'pids']) {
      const dir = join('/sys/fs/cgroup', controller, agent.cgroupParent);
      const children = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()) : [];
      assert.deepEqual(children.map((e) => e.name), [], `no container cgroup left under ${dir}`);
    }
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.ok(!links.includes(BRIDGE), `bridge ${BRIDGE} removed`);
    assert.ok(!/master sktnode0/.test(links), 'no veth left on the bridge');
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(dataDir), `no mount under ${dataDir} remains`);
    const procs = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(!procs.includes(dataDir), 'no process (conmon, container) of this data dir remains');
    // (a command line unique to this file: other test files run httpd pods at the same time)
    assert.ok(!procs.split('\n').some((l) => l.trim() === 'httpd -f -p 8080 -h /srv/node-e2e'), 'no container process remains');
  });
});

function readdirRecursive(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory() && !e.isSymbolicLink() && !p.includes('image-store')) readdirRecursive(p, out);
  }
  return out;
}
