// Real containers: runc + conmon on a busybox rootfs, in network namespaces made with `ip netns`.
// Needs root, runc, conmon and /bin/busybox; everything made is removed in `after`, also on failure.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test, type TestContext } from 'node:test';
import type { ContainerConfig, ContainerEvent, PodSandboxConfig } from '../runtime.js';
import { removeCgroup } from './cgroups.js';
import { killAllContainers } from './killall.js';
import { mountPoints } from './mounts.js';
import { ociRuntimePath } from './oci-runtimes.js';
import { attachId, nativeMonitorPath } from './conmon.js';
import { nativeWrapperPath } from './runtime-wrapper.js';
import { RuncRuntime, type RuncRuntimeOptions } from './runc-runtime.js';
import { missingOciRuntime, testOciRuntime } from './testing/oci-runtime.js';
import { buildBusyboxRootfs, busyboxImages } from './testing/busybox-image.js';
import { NetnsNetwork } from './testing/netns-network.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : !existsSync('/usr/bin/conmon') && !existsSync('/usr/local/bin/conmon')
      ? 'needs conmon'
      : !existsSync('/bin/busybox')
        ? 'needs /bin/busybox'
        : missingOciRuntime();

let dir = '';
let rootfs = '';
let stateDir = '';
let runtime: RuncRuntime;
const network = new NetnsNetwork('skrn-r');
const cgroupParent = `skiff-test-${process.pid}`;
let podCount = 0;

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'skiff-runc-'));
  rootfs = join(dir, 'image-rootfs');
  buildBusyboxRootfs(rootfs);
  stateDir = join(dir, 'agent');
  runtime = newRuntime();
});

after(async () => {
  if (skip) return;
  await runtime?.close();
  await killAllContainers({ stateDir, runcRoot: join(dir, 'runc-root'), cgroupParent, runcPath: ociRuntimePath(testOciRuntime()) }).catch(() => undefined);
  network.removeAll();
  await removeCgroup(`/${cgroupParent}`);
  rmSync(dir, { recursive: true, force: true });
});

/** A runtime on the test's state dir; `extra` changes its options (another monitor, wrapper, image). */
function newRuntime(extra: Partial<RuncRuntimeOptions> = {}): RuncRuntime {
  return new RuncRuntime({ stateDir, images: busyboxImages(rootfs), network, runcRoot: join(dir, 'runc-root'), cgroupParent, podCIDR: '198.18.80.0/24', ociRuntime: testOciRuntime(), ...extra });
}

/** A second runtime with a sandbox of its own, both removed when the test ends. */
async function otherRuntime(t: TestContext, sandboxName: string, extra: Partial<RuncRuntimeOptions>): Promise<{ rt: RuncRuntime; sid: string }> {
  const rt = newRuntime(extra);
  const sid = await rt.runPodSandbox(sandboxConfig(sandboxName));
  t.after(async () => {
    await rt.removePodSandbox(sid);
    await rt.close();
  });
  return { rt, sid };
}

/** Runs a sandbox that is removed when the test ends, also when it fails. */
async function sandbox(t: TestContext, name?: string, extra: Partial<PodSandboxConfig> = {}): Promise<string> {
  const id = await runtime.runPodSandbox(sandboxConfig(name, extra));
  t.after(() => runtime.removePodSandbox(id));
  return id;
}

function sandboxConfig(name = `pod${++podCount}`, extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 }, hostname: name, labels: {}, annotations: {}, ...extra };
}

function containerConfig(name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
  return { metadata: { name, attempt: 0 }, image: 'busybox', command, labels: {}, annotations: {}, ...extra };
}

async function run(sandboxId: string, name: string, command: string[], extra: Partial<ContainerConfig> = {}): Promise<string> {
  const id = await runtime.createContainer(sandboxId, containerConfig(name, command, extra));
  await runtime.startContainer(id);
  return id;
}

async function waitExited(id: string, ms = 10_000, rt: RuncRuntime = runtime) {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await rt.containerStatus(id);
    if (s.state === 'exited') return s;
    if (Date.now() > deadline) assert.fail(`container ${id} still ${s.state} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An attach client of container `id` that collects its output: write to `stdin`, read `text()`, then `detach()`. */
function attachCollecting(id: string): { stdin: PassThrough; text(): string; detach(): Promise<void> } {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => (text += d.toString()));
  const ac = new AbortController();
  const attached = runtime.attach(id, { stdin, stdout, signal: ac.signal });
  return {
    stdin,
    text: () => text,
    detach: async () => {
      ac.abort();
      await attached;
    },
  };
}

async function logText(id: string, opts = {}, rt: RuncRuntime = runtime): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (d: Buffer) => chunks.push(d));
  await rt.logs(id, out, opts);
  return Buffer.concat(chunks).toString();
}

test('a container runs in its sandbox: output in the log, pod hostname, exit 0 Completed', { skip }, async (t) => {
  const events: ContainerEvent[] = [];
  const off = runtime.onContainerEvent((e) => events.push(e));
  const sid = await sandbox(t, 'hello');
  const sb = await runtime.podSandboxStatus(sid);
  assert.equal(sb.state, 'ready');
  assert.match(sb.ip ?? '', /^198\.18\.80\.\d+$/);
  const id = await run(sid, 'main', ['sh', '-c', 'echo hi; hostname; grep hello /etc/hosts; id -u']);
  const st = await waitExited(id);
  off();
  assert.equal(st.exitCode, 0);
  assert.equal(st.reason, 'Completed');
  assert.ok(st.startedAt! <= st.finishedAt!);
  assert.equal(st.imageRef, busyboxImages(rootfs).resolve('busybox')!.id);
  assert.equal(await logText(id), `hi\nhello\n${sb.ip}\thello\n0\n`);
  assert.deepEqual(events.filter((e) => e.containerId === id).map((e) => e.type), ['created', 'started', 'exited']);
  await runtime.removePodSandbox(sid);
  assert.deepEqual(await runtime.listContainers({ sandboxId: sid }), []);
  await assert.rejects(runtime.podSandboxStatus(sid), /not found/);
});

test('a failing container exits with its code and reason Error', { skip }, async (t) => {
  const sid = await sandbox(t);
  const id = await run(sid, 'fail', ['sh', '-c', 'echo oops >&2; exit 1']);
  const st = await waitExited(id);
  assert.equal(st.exitCode, 1);
  assert.equal(st.reason, 'Error');
  assert.equal(await logText(id), 'oops\n');
  await runtime.removePodSandbox(sid);
});

test('a missing executable fails createContainer with CreateContainerError', { skip }, async (t) => {
  const sid = await sandbox(t);
  await assert.rejects(runtime.createContainer(sid, containerConfig('bad', ['/no/such/thing'])), (e: Error & { reason?: string }) => {
    assert.equal(e.reason, 'CreateContainerError');
    assert.match(e.message, /no such file|not found/i);
    return true;
  });
  assert.deepEqual(await runtime.listContainers({ sandboxId: sid }), []);
  await runtime.removePodSandbox(sid);
});

for (const wrapper of ['sh', 'native', undefined] as const) {
const notBuilt = wrapper === 'native' && !nativeWrapperPath() ? 'the C wrapper is not built' : wrapper === undefined && !nativeMonitorPath() ? 'skiff-monitor is not built' : false;
test(`an overlay root that cannot be mounted fails createContainer with mount's message, leaving nothing (${wrapper ? `${wrapper} runtime wrapper` : 'mounted by skiff-monitor'})`, { skip: skip || notBuilt }, async (t) => {
  const { rt: broken, sid } = await otherRuntime(t, `nomount-${wrapper ?? 'monitor'}`, { images: busyboxImages(join(dir, 'no-such-rootfs')), ...(wrapper ? { wrapper } : {}) });
  for (const start of [false, true]) {
    const create = start ? broken.createAndStartContainer(sid, containerConfig('c', ['true'])) : broken.createContainer(sid, containerConfig('c', ['true']));
    await assert.rejects(create, (e: Error & { reason?: string }) => {
      assert.equal(e.reason, 'CreateContainerError');
      assert.match(e.message, /mount/);
      return true;
    });
  }
  assert.deepEqual(await broken.listContainers({ sandboxId: sid }), []);
  assert.ok(!(await mountPoints()).some((m) => m.startsWith(join(stateDir, 'containers'))), 'no overlay left mounted');
});
}

test('the sh runtime wrapper (where the C one is not built) creates and starts containers too', { skip }, async (t) => {
  const { rt: shRuntime, sid } = await otherRuntime(t, 'shwrapper', { wrapper: 'sh' });
  const created = await shRuntime.createContainer(sid, containerConfig('two-step', ['sh', '-c', 'echo two; exit 4']));
  await shRuntime.startContainer(created);
  const oneStep = await shRuntime.createAndStartContainer(sid, containerConfig('one-step', ['sh', '-c', 'hostname; echo written > /f; cat /f']));
  assert.equal((await waitExited(created, 10_000, shRuntime)).exitCode, 4);
  assert.equal((await waitExited(oneStep, 10_000, shRuntime)).exitCode, 0);
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (d: Buffer) => chunks.push(d));
  await shRuntime.logs(oneStep, out);
  assert.equal(Buffer.concat(chunks).toString(), 'shwrapper\nwritten\n');
  assert.ok(existsSync(join(stateDir, 'runtime', 'oci-create')) && existsSync(join(stateDir, 'runtime', 'oci-create-start')), 'the scripts were written');
});

test('conmon as the monitor (where skiff-monitor is not built): output, exit codes, one-step start, OOMKilled', { skip }, async (t) => {
  const { rt, sid } = await otherRuntime(t, 'conmon', { monitor: 'conmon' });
  const created = await rt.createContainer(sid, containerConfig('two-step', ['sh', '-c', 'echo out; echo err >&2; exit 4']));
  await rt.startContainer(created);
  const oneStep = await rt.createAndStartContainer(sid, containerConfig('one-step', ['sh', '-c', 'hostname; sleep 30']));
  const monitorPid = Number(readFileSync(join(stateDir, 'containers', oneStep, 'conmon.pid'), 'utf8'));
  assert.match(readFileSync(`/proc/${monitorPid}/stat`, 'utf8'), /^\d+ \(conmon\) /);
  assert.equal((await waitExited(created, 10_000, rt)).exitCode, 4);
  assert.equal(await logText(created, {}, rt), 'out\nerr\n');
  const hog = await rt.createAndStartContainer(sid, containerConfig('hog', ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], { resources: { memoryLimitBytes: 20 * 1024 * 1024 } }));
  const st = await waitExited(hog, 30_000, rt);
  assert.equal(st.reason, 'OOMKilled', `exit ${st.exitCode}`);
  assert.equal(st.exitCode, 137);
  assert.equal(await logText(oneStep, {}, rt), 'conmon\n');
});

test('createAndStartContainer: created and started in one step (runc run --detach under its monitor)', { skip }, async (t) => {
  const events: ContainerEvent[] = [];
  const off = runtime.onContainerEvent((e) => events.push(e));
  t.after(off);
  const sid = await sandbox(t, 'onestep');
  const server = await runtime.createAndStartContainer(sid, containerConfig('server', ['sleep', '30']));
  // the monitor is skiff's own where it was built
  const monitorPid = Number(readFileSync(join(stateDir, 'containers', server, 'conmon.pid'), 'utf8'));
  assert.match(readFileSync(`/proc/${monitorPid}/stat`, 'utf8'), nativeMonitorPath() ? /^\d+ \(skiff-monitor\) / : /^\d+ \(conmon\) /);
  const st = await runtime.containerStatus(server);
  assert.equal(st.state, 'running');
  assert.ok(st.startedAt! >= st.createdAt);
  assert.deepEqual(events.filter((e) => e.containerId === server).map((e) => e.type), ['created', 'started']);
  // a quick one: its output and exit code arrive as with create + start
  const quick = await runtime.createAndStartContainer(sid, containerConfig('quick', ['sh', '-c', 'hostname; exit 3']));
  const q = await waitExited(quick);
  assert.equal(q.exitCode, 3);
  assert.equal(await logText(quick), 'onestep\n');
  // its monitor ends with it and is reaped (no zombie left in this process)
  const quickMonitor = Number(readFileSync(join(stateDir, 'containers', quick, 'conmon.pid'), 'utf8'));
  for (let i = 0; i < 100 && existsSync(`/proc/${quickMonitor}`); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(!existsSync(`/proc/${quickMonitor}`), `monitor ${quickMonitor} was reaped`);
  // a missing executable: rejected, nothing left behind
  await assert.rejects(runtime.createAndStartContainer(sid, containerConfig('bad', ['/no/such/thing'])), (e: Error & { reason?: string }) => {
    assert.equal(e.reason, 'CreateContainerError');
    assert.match(e.message, /no such file|not found/i);
    return true;
  });
  assert.deepEqual((await runtime.listContainers({ sandboxId: sid })).map((c) => c.metadata.name).sort(), ['quick', 'server']);
  await runtime.removePodSandbox(sid);
  assert.deepEqual(await runtime.listContainers({ sandboxId: sid }), []);
});

test('containers of one sandbox share the network (localhost) and the hostname', { skip }, async (t) => {
  const sid = await sandbox(t, 'shared');
  const server = await run(sid, 'server', ['sh', '-c', 'mkdir -p /tmp/www && echo hello-from-server > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www']);
  const client = await run(sid, 'client', ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/ && break; sleep 0.2; done; hostname']);
  const st = await waitExited(client);
  assert.equal(st.exitCode, 0, await logText(client));
  assert.equal(await logText(client), 'hello-from-server\nshared\n');
  assert.equal((await runtime.containerStatus(server)).state, 'running');
  await runtime.stopPodSandbox(sid);
  assert.equal((await runtime.containerStatus(server)).state, 'exited');
  assert.equal((await runtime.podSandboxStatus(sid)).state, 'notready');
  assert.equal((await runtime.podSandboxStatus(sid)).ip, undefined);
  await runtime.removePodSandbox(sid);
});

test('a container exceeding its memory limit is OOMKilled', { skip }, async (t) => {
  const sid = await sandbox(t);
  const id = await run(sid, 'hog', ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], { resources: { memoryLimitBytes: 20 * 1024 * 1024 } });
  const st = await waitExited(id, 30_000);
  assert.equal(st.reason, 'OOMKilled', `exit ${st.exitCode}: ${await logText(id)}`);
  assert.equal(st.exitCode, 137);
  await runtime.removePodSandbox(sid);
});

test('stopContainer: SIGTERM ends a cooperative process at once, SIGKILL one that ignores it after the timeout', { skip }, async (t) => {
  const sid = await sandbox(t);
  const polite = await run(sid, 'polite', ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done']);
  const stubborn = await run(sid, 'stubborn', ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
  await new Promise((r) => setTimeout(r, 300));
  let t0 = Date.now();
  await runtime.stopContainer(polite, 10);
  assert.ok(Date.now() - t0 < 3000, `graceful stop took ${Date.now() - t0} ms`);
  assert.equal((await runtime.containerStatus(polite)).exitCode, 0);
  t0 = Date.now();
  await runtime.stopContainer(stubborn, 1);
  const took = Date.now() - t0;
  assert.ok(took >= 1000 && took < 5000, `forced stop took ${took} ms`);
  assert.equal((await runtime.containerStatus(stubborn)).exitCode, 137);
  await runtime.stopContainer(stubborn, 1); // idempotent
  await runtime.stopContainer('unknown', 1);
  await runtime.removeContainer('unknown');
  await runtime.removePodSandbox(sid);
});

test('exec: output, exit codes, stdin, and a terminal with its size', { skip }, async (t) => {
  const sid = await sandbox(t, 'execpod');
  const id = await run(sid, 'main', ['sleep', '1000']);
  const out = async (cmd: string[], opts: { tty?: boolean; input?: string; size?: { width: number; height: number } } = {}) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let text = '';
    stdout.on('data', (d: Buffer) => (text += d.toString()));
    stderr.on('data', (d: Buffer) => (text += d.toString()));
    const stdin = opts.input !== undefined ? new PassThrough() : undefined;
    stdin?.end(opts.input);
    const code = await runtime.exec(id, cmd, {
      stdout,
      stderr,
      ...(stdin ? { stdin } : {}),
      ...(opts.tty ? { tty: true } : {}),
      ...(opts.size ? { onResize: (l: (s: { width: number; height: number }) => void) => l(opts.size!) } : {}),
    });
    return { code, text };
  };
  assert.deepEqual(await out(['hostname']), { code: 0, text: 'execpod\n' });
  assert.equal((await out(['sh', '-c', 'exit 3'])).code, 3);
  const missing = await out(['no-such-command']);
  assert.equal(missing.code, 127);
  assert.match(missing.text, /^OCI runtime exec failed: .*executable file (`[^`]*` )?not found/);
  assert.equal((await out(['/etc/passwd'])).code, 126);
  assert.deepEqual(await out(['cat'], { input: 'abc' }), { code: 0, text: 'abc' });
  const tty = await out(['sh', '-c', 'sleep 0.5; tty; stty size'], { tty: true, size: { width: 100, height: 30 } });
  assert.equal(tty.code, 0);
  assert.match(tty.text, /\/dev\/pts\/\d+\r?\n30 100/);
  await runtime.stopContainer(id, 0);
  await assert.rejects(runtime.exec(id, ['true']), /not running/);
  await runtime.removePodSandbox(sid);
});

test('logs: tail, timestamps, partial lines joined, follow until the container exits', { skip }, async (t) => {
  const sid = await sandbox(t);
  const id = await run(sid, 'talker', ['sh', '-c', 'for i in 1 2 3; do echo line$i; done; printf part; sleep 0.5; echo ial; sleep 0.5; echo end']);
  const followed = logText(id, { follow: true });
  const st = await waitExited(id);
  assert.equal(st.exitCode, 0);
  assert.equal(await followed, 'line1\nline2\nline3\npartial\nend\n');
  assert.equal(await logText(id, { tailLines: 2 }), 'partial\nend\n');
  const stamped = (await logText(id, { timestamps: true, tailLines: 1 })).trim();
  assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z end$/);
  const since = Date.parse(stamped.split(' ')[0]!);
  assert.equal(await logText(id, { sinceTime: since }), 'end\n');
  assert.equal(await logText(id, { limitBytes: 8 }), 'line1\nli');
  await runtime.removePodSandbox(sid);
});

test('attach streams the container output and passes stdin', { skip }, async (t) => {
  const sid = await sandbox(t);
  const id = await run(sid, 'reader', ['sh', '-c', 'while read l; do echo got-$l; done'], { stdin: true });
  const client = attachCollecting(id);
  await new Promise((r) => setTimeout(r, 300));
  client.stdin.write('one\n');
  const deadline = Date.now() + 5000;
  while (!client.text().includes('got-one') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await client.detach();
  assert.equal(client.text(), 'got-one\n');
  assert.equal((await runtime.containerStatus(id)).state, 'running'); // detaching leaves it running
  await runtime.removePodSandbox(sid);
});

test('attach: input the container does not read yet is kept; clients that go away while output flows leave the others served', { skip, timeout: 90_000 }, async (t) => {
  const sid = await sandbox(t);
  // a container that writes 256 KiB (more than a pipe holds) before it reads its stdin, then
  // echoes what comes in, with a steady trickle of output besides
  // (the trickle forks a sleep per line: at 50 lines/s, not more, so that a loaded machine still
  // gets the 128 KiB line below through sh's byte-at-a-time read in time)
  const id = await run(sid, 'chatty', ['sh', '-c', '(while true; do echo tick; sleep 0.02; done) & sleep 0.6; head -c 262144 /dev/zero | tr "\\0" a; echo; while read l; do echo got-$l; done'], { stdin: true });
  const big = 'x'.repeat(128 * 1024);
  // 1. one client sends 128 KiB before the container reads any: the monitor queues it and keeps
  //    taking the container's output meanwhile (writing the input to a full pipe instead would
  //    leave both waiting forever); the client goes once the line came back
  const sender = new AbortController();
  const senderIn = new PassThrough();
  const sent = runtime.attach(id, { stdin: senderIn, stdout: new PassThrough().resume(), signal: sender.signal });
  await new Promise((r) => setTimeout(r, 100));
  senderIn.write(`${big}\n`);
  let deadline = Date.now() + 45_000;
  while (!(await logText(id)).includes(`got-${big}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  sender.abort();
  await sent;
  assert.ok((await logText(id)).includes(`got-${big}`), 'the queued line reached the container whole');
  // 2. a client stays while others come and go as the output flows
  const staying = attachCollecting(id);
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 6; i++) {
    const other = new AbortController();
    const o = runtime.attach(id, { stdout: new PassThrough().resume(), signal: other.signal });
    await new Promise((r) => setTimeout(r, 60));
    other.abort();
    await o;
  }
  staying.stdin.write('after\n');
  deadline = Date.now() + 10_000;
  while (!staying.text().includes('got-after') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await staying.detach();
  assert.ok(staying.text().includes('got-after'), 'the staying client is still served after the others went');
  assert.equal((await runtime.containerStatus(id)).state, 'running');
  await runtime.removePodSandbox(sid);
});

test('attach: a client that takes no output costs neither the container nor another client theirs; it is dropped once 1 MiB behind', { skip, timeout: 60_000 }, async (t) => {
  const sid = await sandbox(t);
  // ~1.3 MB/s of output in 64 KiB lines, numbered
  const id = await run(sid, 'flood', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "n$i"; head -c 65536 /dev/zero | tr "\\0" a; echo; sleep 0.05; done']);
  // a client that connects to the attach socket and never reads
  // a client that connects to the attach socket and takes nothing for 6 s; then it reads what
  // its socket holds and says whether the monitor had closed the connection meanwhile
  const stalledClient = 'use Socket; $| = 1; socket(my $s, PF_UNIX, 5, 0) or die; connect($s, pack_sockaddr_un($ARGV[0])) or die "connect: $!"; print "connected\\n"; sleep 6; while (1) { defined(recv($s, my $b, 8193, 0)) or last; last if length($b) == 0 } print "closed\\n"';
  const stalled = spawn('perl', ['-e', stalledClient, join(stateDir, 'runtime', 's', attachId(id), 'attach')], { stdio: ['ignore', 'pipe', 'inherit'] }); // the short link: a socket path has at most 107 bytes
  t.after(() => void stalled.kill('SIGKILL'));
  await new Promise((resolve, reject) => {
    stalled.stdout!.once('data', resolve);
    stalled.once('exit', (c) => reject(new Error(`the stalled client could not connect (${c})`)));
  });
  // a client that reads: its output must keep coming, without a pause of seconds, while the other stalls
  const stdout = new PassThrough();
  let last = Date.now();
  let longestGap = 0;
  let bytes = 0;
  stdout.on('data', (d: Buffer) => {
    const now = Date.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    bytes += d.length;
  });
  const ac = new AbortController();
  const attached = runtime.attach(id, { stdout, signal: ac.signal });
  let stalledSaid = '';
  stalled.stdout!.on('data', (d: Buffer) => (stalledSaid += d.toString()));
  await new Promise((r) => setTimeout(r, 5000));
  ac.abort();
  await attached;
  assert.ok(bytes > 1 << 20, `the reading client got ${bytes} bytes in 5 s`);
  assert.ok(longestGap < 2500, `the reading client waited ${longestGap} ms for output`);
  // the container went on writing: its log grew past what the stalled client could have held
  assert.match(await logText(id, { tailLines: 3 }), /^n\d+$/m);
  assert.equal((await runtime.containerStatus(id)).state, 'running');
  // the stalled client, more than 1 MiB behind, was dropped: once it reads, its connection ends
  const deadline = Date.now() + 10_000;
  while (!stalledSaid.includes('closed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(stalledSaid.includes('closed'), 'the monitor closed the stalled client');
  await runtime.removePodSandbox(sid);
});

test('attach: a client behind when the container exits still gets all of its output (the monitor drains the queue before it ends)', { skip, timeout: 60_000 }, async (t) => {
  const sid = await sandbox(t);
  // 1 MB at once when the test says so, then the exit
  const id = await run(sid, 'burst', ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; head -c 1000000 /dev/zero | tr "\\0" b; echo END']);
  // a client that connects, then takes nothing for 0.5 s (the container writes and exits meanwhile), then reads to the end
  const lateReader = 'use Socket; $| = 1; socket(my $s, PF_UNIX, 5, 0) or die; connect($s, pack_sockaddr_un($ARGV[0])) or die "connect: $!"; print "connected\\n"; select(undef, undef, undef, 0.5); my $n = 0; my $t = ""; while (1) { defined(recv($s, my $b, 8193, 0)) or last; last if length($b) == 0; $n += length($b) - 1; $t = substr($t . substr($b, 1), -8) } print "bytes $n tail $t\\n"';
  const reader = spawn('perl', ['-e', lateReader, join(stateDir, 'runtime', 's', attachId(id), 'attach')], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => void reader.kill('SIGKILL'));
  let said = '';
  reader.stdout!.on('data', (d: Buffer) => (said += d.toString()));
  const exited = new Promise((r) => reader.once('exit', r));
  while (!said.includes('connected')) await new Promise((r) => setTimeout(r, 20));
  writeFileSync(join(stateDir, 'containers', id, 'rootfs', 'tmp', 'go'), '');
  await exited;
  assert.match(said, /bytes 1000004 tail bbbbEND\n/, 'every byte reached the late client');
  await runtime.removePodSandbox(sid);
});

test('portForward reaches a port on the pod loopback and rejects a closed one', { skip }, async (t) => {
  const sid = await sandbox(t);
  await run(sid, 'web', ['sh', '-c', 'mkdir -p /tmp/www && echo forwarded > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:8081 -h /tmp/www']);
  await new Promise((r) => setTimeout(r, 300));
  const { Duplex } = await import('node:stream');
  let received = '';
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      received += chunk.toString();
      cb();
    },
  });
  stream.push('GET / HTTP/1.0\r\n\r\n');
  await runtime.portForward(sid, 8081, stream);
  assert.match(received, /200 OK[\s\S]*forwarded/);
  const closed = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
  await assert.rejects(runtime.portForward(sid, 8099, closed), /refused|can't connect/i);
  await runtime.removePodSandbox(sid);
});

test('a new runtime on the same state dir adopts a running container', { skip }, async (t) => {
  const sid = await sandbox(t, 'adopt');
  const id = await run(sid, 'long', ['sleep', '1000'], { labels: { k: 'v' } });
  const second = newRuntime();
  try {
    const [st] = await second.listContainers({ id });
    assert.ok(st);
    assert.equal(st.state, 'running');
    assert.equal(st.sandboxId, sid);
    assert.deepEqual(st.labels, { k: 'v' });
    assert.equal((await second.podSandboxStatus(sid)).metadata.name, 'adopt');
    await second.stopContainer(id, 0);
    assert.equal((await second.containerStatus(id)).exitCode, 137);
    await second.removePodSandbox(sid);
  } finally {
    await second.close();
  }
});

test('containers never change the image rootfs', { skip }, async (t) => {
  const sid = await sandbox(t);
  const before = readFileSync(join(rootfs, 'etc', 'passwd'), 'utf8');
  const id = await run(sid, 'writer', ['sh', '-c', 'echo x > /newfile && echo evil::0:0::/:/bin/sh >> /etc/passwd && rm /bin/ls && cat /newfile']);
  const st = await waitExited(id);
  assert.equal(st.exitCode, 0, await logText(id));
  assert.equal(existsSync(join(rootfs, 'newfile')), false);
  assert.equal(existsSync(join(rootfs, 'bin', 'ls')), true);
  assert.equal(readFileSync(join(rootfs, 'etc', 'passwd'), 'utf8'), before);
  await runtime.removePodSandbox(sid);
  assert.deepEqual((await mountPoints()).filter((m) => m.includes(id) || m.includes(sid)), []);
});

test('a tty container writes its terminal output to the log', { skip }, async (t) => {
  const sid = await sandbox(t);
  const id = await run(sid, 'term', ['sh', '-c', 'tty; echo done'], { tty: true });
  const st = await waitExited(id);
  assert.equal(st.exitCode, 0);
  assert.match(await logText(id), /^\/dev\/pts\/\d+\r?\ndone\r?\n$/);
});

test('hostNetwork shares the node network and hostname; dnsConfig becomes resolv.conf', { skip }, async (t) => {
  const sid = await sandbox(t, 'hostnet', { hostNetwork: true, dnsConfig: { servers: ['198.18.80.53'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] } });
  const sb = await runtime.podSandboxStatus(sid);
  assert.equal(sb.hostNetwork, true);
  assert.equal(sb.ip, undefined);
  const id = await run(sid, 'main', ['sh', '-c', 'hostname; cat /etc/resolv.conf; ls /sys/class/net | grep -c .']);
  const st = await waitExited(id);
  assert.equal(st.exitCode, 0);
  const [hostname, ...rest] = (await logText(id)).trim().split('\n');
  assert.equal(hostname, (await import('node:os')).hostname());
  assert.deepEqual(rest.slice(0, 3), ['search default.svc.cluster.local', 'nameserver 198.18.80.53', 'options ndots:5']);
  assert.ok(Number(rest[3]) > 1, 'sees the node interfaces');
});

test('CPU and memory limits reach the container cgroup', { skip }, async (t) => {
  const sid = await sandbox(t);
  const id = await run(sid, 'limited', ['sleep', '1000'], { resources: { cpuLimitMilli: 250, cpuRequestMilli: 100, memoryLimitBytes: 32 << 20 } });
  const read = (ctrl: string, file: string) => readFileSync(`/sys/fs/cgroup/${ctrl}/${cgroupParent}/${id}/${file}`, 'utf8').trim();
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    assert.equal(readFileSync(`/sys/fs/cgroup/${cgroupParent}/${id}/cpu.max`, 'utf8').trim(), '25000 100000');
    assert.equal(readFileSync(`/sys/fs/cgroup/${cgroupParent}/${id}/memory.max`, 'utf8').trim(), String(32 << 20));
  } else {
    assert.equal(read('cpu', 'cpu.cfs_quota_us'), '25000');
    assert.equal(read('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(read('cpu', 'cpu.shares'), '102');
    assert.equal(read('memory', 'memory.limit_in_bytes'), String(32 << 20));
  }
  await runtime.removeContainer(id);
  assert.equal(existsSync(`/sys/fs/cgroup/memory/${cgroupParent}/${id}`), false);
});

test('containers survive a SIGKILLed skiff process; the next runtime adopts them and sees later exits', { skip }, async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const here = fileURLToPath(new URL('.', import.meta.url));
  // a separate process makes a sandbox and two containers, then dies by SIGKILL
  const script = `
    import { RuncRuntime } from ${JSON.stringify(join(here, 'runc-runtime.js'))};
    import { busyboxImages } from ${JSON.stringify(join(here, 'testing', 'busybox-image.js'))};
    import { NetnsNetwork } from ${JSON.stringify(join(here, 'testing', 'netns-network.js'))};
    const net = new NetnsNetwork('skrn-r');
    const rt = new RuncRuntime({ stateDir: ${JSON.stringify(stateDir)}, images: busyboxImages(${JSON.stringify(rootfs)}), network: net, runcRoot: ${JSON.stringify(join(dir, 'runc-root'))}, cgroupParent: ${JSON.stringify(cgroupParent)}, podCIDR: '198.18.80.0/24', ociRuntime: ${JSON.stringify(testOciRuntime())} });
    const sid = await rt.runPodSandbox({ metadata: { name: 'survivor', namespace: 'default', uid: 'survivor', attempt: 0 }, hostname: 'survivor', labels: {}, annotations: {} });
    const c = (name, command) => ({ metadata: { name, attempt: 0 }, image: 'busybox', command, labels: {}, annotations: {} });
    const a = await rt.createContainer(sid, c('long', ['sleep', '1000'])); await rt.startContainer(a);
    const b = await rt.createContainer(sid, c('late', ['sh', '-c', 'sleep 1; exit 7'])); await rt.startContainer(b);
    console.log(JSON.stringify({ sid, a, b, netns: net.get(sid).netnsPath }));
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const { sid, a, b, netns } = JSON.parse(r.stdout.trim()) as { sid: string; a: string; b: string; netns: string };
  t.after(async () => {
    const rt = newRuntime();
    await rt.removePodSandbox(sid);
    await rt.close();
    (await import('node:child_process')).execFileSync('ip', ['netns', 'delete', netns.split('/').pop()!], { stdio: 'ignore' });
  });
  await new Promise((res) => setTimeout(res, 1500));
  const next = newRuntime();
  try {
    const byId = new Map((await next.listContainers({ sandboxId: sid })).map((c) => [c.id, c]));
    assert.equal(byId.get(a)?.state, 'running');
    assert.equal(byId.get(b)?.state, 'exited');
    assert.equal(byId.get(b)?.exitCode, 7);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    assert.equal(await next.exec(a, ['hostname'], { stdout: out }), 0);
    assert.equal(text, 'survivor\n');
  } finally {
    await next.close();
  }
});

test('attach to a tty container: input, output and terminal size', { skip }, async (t) => {
  const sid = await sandbox(t);
  const id = await run(sid, 'shell', ['sh'], { tty: true, stdin: true });
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => (text += d.toString()));
  const ac = new AbortController();
  const attached = runtime.attach(id, { stdin, stdout, tty: true, signal: ac.signal, onResize: (l) => setTimeout(() => l({ width: 123, height: 45 }), 100) });
  await new Promise((r) => setTimeout(r, 500));
  stdin.write('stty size; echo mark$((40+2))\n');
  const deadline = Date.now() + 5000;
  while (!text.includes('mark42') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  await attached;
  assert.match(text, /45 123\r\nmark42/);
});

test('a sandbox whose namespaces are gone (reboot) is adopted as notready', { skip }, async (t) => {
  const sid = await sandbox(t);
  const { execFileSync } = await import('node:child_process');
  for (const ns of ['ns-ipc', 'ns-uts']) execFileSync('umount', [join(stateDir, 'sandboxes', sid, ns)]);
  const next = newRuntime();
  try {
    assert.equal((await next.podSandboxStatus(sid)).state, 'notready');
    await assert.rejects(next.createContainer(sid, containerConfig('x', ['true'])), /not ready/);
  } finally {
    await next.close();
  }
});
