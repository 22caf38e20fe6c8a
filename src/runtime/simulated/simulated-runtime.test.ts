import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ContainerConfig, ContainerEvent, PodSandboxConfig } from '../runtime.js';
import { LABEL_CONTAINER_TYPE, NotFoundRuntimeError, RuntimeError } from '../runtime.js';
import { ManualClock } from '../testing/manual-clock.js';
import { EXIT_CODE_SIGKILL, EXIT_CODE_SIGTERM, SimulatedRuntime, simulatedExit } from './simulated-runtime.js';

function sandboxConfig(uid: string, annotations: Record<string, string> = {}, hostNetwork = false): PodSandboxConfig {
  return { metadata: { name: `pod-${uid}`, namespace: 'default', uid, attempt: 0 }, hostname: `pod-${uid}`, labels: {}, annotations, hostNetwork };
}

function containerConfig(name: string, type: 'init' | 'app' = 'app', attempt = 0): ContainerConfig {
  return { metadata: { name, attempt }, image: 'busybox', labels: { [LABEL_CONTAINER_TYPE]: type }, annotations: {} };
}

function setup(podCIDR: string | null = '10.42.0.0/24') {
  const clock = new ManualClock();
  let n = 0;
  const rt = new SimulatedRuntime({ clock, podCIDR: podCIDR ?? undefined, newId: () => `id${++n}` });
  const events: ContainerEvent[] = [];
  rt.onContainerEvent((e) => events.push(e));
  return { clock, rt, events };
}

test('a sandbox gets the next IP of the pod CIDR; stopping frees it; host-network sandboxes get none', async () => {
  const { rt } = setup();
  const a = await rt.runPodSandbox(sandboxConfig('a'));
  const b = await rt.runPodSandbox(sandboxConfig('b'));
  const h = await rt.runPodSandbox(sandboxConfig('h', {}, true));
  assert.equal((await rt.podSandboxStatus(a)).ip, '10.42.0.2');
  assert.deepEqual((await rt.podSandboxStatus(b)).ips, ['10.42.0.3']);
  assert.equal((await rt.podSandboxStatus(h)).ip, undefined);
  await rt.stopPodSandbox(a);
  const sa = await rt.podSandboxStatus(a);
  assert.equal(sa.state, 'notready');
  assert.equal(sa.ip, undefined);
  assert.equal(rt.counts().ips, 1);
  await rt.removePodSandbox(a);
  await rt.removePodSandbox(a); // idempotent
  await assert.rejects(rt.podSandboxStatus(a), NotFoundRuntimeError);
  assert.deepEqual((await rt.listPodSandboxes({ podUid: 'b' })).map((s) => s.id), [b]);
});

test('without a pod CIDR, sandboxes that need an IP fail with NetworkNotReady until updateRuntimeConfig', async () => {
  const { rt } = setup(null);
  const network = (await rt.status()).conditions.find((c) => c.type === 'NetworkReady');
  assert.equal(network?.status, false);
  await assert.rejects(rt.runPodSandbox(sandboxConfig('a')), (e: unknown) => e instanceof RuntimeError && e.reason === 'NetworkNotReady');
  await rt.runPodSandbox(sandboxConfig('h', {}, true));
  await rt.updateRuntimeConfig({ podCIDR: '10.42.7.0/24' });
  const id = await rt.runPodSandbox(sandboxConfig('a'));
  assert.equal((await rt.podSandboxStatus(id)).ip, '10.42.7.2');
});

test('containers run until stopped: graceful stop exits 143, a kill 137; stop and remove are idempotent', async () => {
  const { rt, clock, events } = setup();
  const sb = await rt.runPodSandbox(sandboxConfig('a'));
  const c1 = await rt.createContainer(sb, containerConfig('web'));
  assert.equal((await rt.containerStatus(c1)).state, 'created');
  await rt.startContainer(c1);
  clock.advance(3_600_000);
  const running = await rt.containerStatus(c1);
  assert.equal(running.state, 'running');
  assert.equal(running.startedAt, Date.UTC(2025, 0, 1));
  await rt.stopContainer(c1, 30);
  await rt.stopContainer(c1, 30);
  const stopped = await rt.containerStatus(c1);
  assert.deepEqual([stopped.state, stopped.exitCode, stopped.reason], ['exited', EXIT_CODE_SIGTERM, 'Error']);
  const c2 = await rt.createContainer(sb, containerConfig('side'));
  await rt.startContainer(c2);
  await rt.stopContainer(c2, 0);
  assert.equal((await rt.containerStatus(c2)).exitCode, EXIT_CODE_SIGKILL);
  await rt.removeContainer(c1);
  await rt.removeContainer(c1);
  await rt.stopContainer('nope', 0);
  await assert.rejects(rt.containerStatus(c1), NotFoundRuntimeError);
  await assert.rejects(rt.startContainer('nope'), NotFoundRuntimeError);
  assert.deepEqual(
    events.map((e) => `${e.type}:${e.containerId}`),
    [`created:${c1}`, `started:${c1}`, `exited:${c1}`, `created:${c2}`, `started:${c2}`, `exited:${c2}`, `removed:${c1}`],
  );
});

test('simulate-exit-code and simulate-run-seconds end app containers after S seconds with code C, on every attempt', async () => {
  const { rt, clock, events } = setup();
  const sb = await rt.runPodSandbox(sandboxConfig('a', { 'skiff.io/simulate-exit-code': '3', 'skiff.io/simulate-run-seconds': '5' }));
  for (const attempt of [0, 1]) {
    const id = await rt.createContainer(sb, containerConfig('job', 'app', attempt));
    await rt.startContainer(id);
    clock.advance(4999);
    assert.equal((await rt.containerStatus(id)).state, 'running');
    clock.advance(1);
    const st = await rt.containerStatus(id);
    assert.deepEqual([st.state, st.exitCode, st.reason, st.finishedAt! - st.startedAt!, st.metadata.attempt], ['exited', 3, 'Error', 5000, attempt]);
  }
  assert.equal(events.filter((e) => e.type === 'exited').length, 2);
  assert.equal(clock.pending(), 0);
});

test('init containers complete at once with exit code 0', async () => {
  const { rt, clock } = setup();
  const sb = await rt.runPodSandbox(sandboxConfig('a'));
  const id = await rt.createContainer(sb, containerConfig('init', 'init'));
  await rt.startContainer(id);
  clock.advance(0);
  const st = await rt.containerStatus(id);
  assert.deepEqual([st.state, st.exitCode, st.reason], ['exited', 0, 'Completed']);
});

test('stopping a sandbox kills its containers; removing it forgets them', async () => {
  const { rt, clock } = setup();
  const sb = await rt.runPodSandbox(sandboxConfig('a', { 'skiff.io/simulate-run-seconds': '10' }));
  const id = await rt.createContainer(sb, containerConfig('web'));
  await rt.startContainer(id);
  await rt.stopPodSandbox(sb);
  assert.equal((await rt.containerStatus(id)).exitCode, EXIT_CODE_SIGKILL);
  clock.advance(20_000); // the exit timer was cancelled: no second exit
  await assert.rejects(rt.createContainer(sb, containerConfig('late')), (e: unknown) => e instanceof RuntimeError && e.reason === 'CreateContainerError');
  await rt.removePodSandbox(sb);
  assert.deepEqual(rt.counts(), { sandboxes: 0, containers: 0, ips: 0 });
  assert.equal(clock.pending(), 0);
});

test('malformed simulate annotations fail container creation, saying what was expected', async () => {
  assert.equal(simulatedExit({}), undefined);
  assert.deepEqual(simulatedExit({ 'skiff.io/simulate-exit-code': '1' }), { exitCode: 1, afterMs: 0 });
  assert.deepEqual(simulatedExit({ 'skiff.io/simulate-run-seconds': '0.5' }), { exitCode: 0, afterMs: 500 });
  assert.throws(() => simulatedExit({ 'skiff.io/simulate-exit-code': 'x' }), /expected an integer from 0 to 255, got "x"/);
  assert.throws(() => simulatedExit({ 'skiff.io/simulate-run-seconds': '-1' }), /expected a non-negative number of seconds, got "-1"/);
  const { rt } = setup();
  const sb = await rt.runPodSandbox(sandboxConfig('a', { 'skiff.io/simulate-exit-code': '300' }));
  await assert.rejects(rt.createContainer(sb, containerConfig('web')), (e: unknown) => e instanceof RuntimeError && e.reason === 'CreateContainerError');
});

test('images are always present with a stable id', async () => {
  const { rt } = setup();
  const a = await rt.imageStatus('nginx:1.25');
  assert.match(a?.id ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(await rt.pullImage('nginx:1.25'), a?.id);
  assert.notEqual((await rt.imageStatus('busybox'))?.id, a?.id);
});

test('close cancels pending exits and refuses new work', async () => {
  const { rt, clock } = setup();
  const sb = await rt.runPodSandbox(sandboxConfig('a', { 'skiff.io/simulate-run-seconds': '10' }));
  await rt.startContainer(await rt.createContainer(sb, containerConfig('web')));
  await rt.close();
  assert.equal(clock.pending(), 0);
  await assert.rejects(rt.runPodSandbox(sandboxConfig('b')), RuntimeError);
});

test('snapshot → restore: a new runtime holds the same sandboxes and containers, keeps their IPs taken, and ends a simulated run when it would have', async () => {
  const { clock, rt } = setup();
  const a = await rt.runPodSandbox(sandboxConfig('a'));
  const ca = await rt.createContainer(a, containerConfig('app'));
  await rt.startContainer(ca);
  const b = await rt.runPodSandbox(sandboxConfig('b', { 'skiff.io/simulate-run-seconds': '10', 'skiff.io/simulate-exit-code': '3' }));
  const cb = await rt.createContainer(b, containerConfig('job'));
  await rt.startContainer(cb);
  await clock.advance(4_000);
  // through JSON, as the server keeps it in a file
  const state = JSON.parse(JSON.stringify(rt.snapshot())) as ReturnType<SimulatedRuntime['snapshot']>;
  await rt.close();

  let n = 100;
  const restored = new SimulatedRuntime({ clock, restore: state, newId: () => `id${++n}` });
  const exited: ContainerEvent[] = [];
  restored.onContainerEvent((e) => exited.push(e));
  assert.deepEqual(await restored.listPodSandboxes(), await rt.listPodSandboxes());
  assert.deepEqual(await restored.listContainers(), await rt.listContainers());
  assert.equal((await restored.containerStatus(ca)).state, 'running');
  assert.deepEqual((await restored.status()).conditions.find((c) => c.type === 'NetworkReady')?.status, true, 'the pod CIDR came back');
  const c = await restored.runPodSandbox(sandboxConfig('c'));
  assert.equal((await restored.podSandboxStatus(c)).ip, '10.42.0.4', 'the restored sandboxes keep 10.42.0.2 and .3');

  await clock.advance(5_999);
  assert.equal((await restored.containerStatus(cb)).state, 'running');
  await clock.advance(1);
  const st = await restored.containerStatus(cb);
  assert.deepEqual([st.state, st.exitCode, st.finishedAt], ['exited', 3, (await restored.containerStatus(cb)).startedAt! + 10_000]);
  assert.deepEqual(exited.map((e) => [e.type, e.containerId]), [['exited', cb]]);
  assert.equal((await restored.containerStatus(ca)).state, 'running', 'a container without a simulated end runs on');
  await restored.close();
});

test('restore: a simulated run that ended while the server was down is exited, at the time it was due', async () => {
  const { clock, rt } = setup();
  const s = await rt.runPodSandbox(sandboxConfig('j', { 'skiff.io/simulate-run-seconds': '5' }));
  const c = await rt.createContainer(s, containerConfig('job'));
  await rt.startContainer(c);
  const startedAt = (await rt.containerStatus(c)).startedAt!;
  const state = rt.snapshot();
  await rt.close();
  await clock.advance(60_000); // down for a minute
  const restored = new SimulatedRuntime({ clock, restore: state });
  const st = await restored.containerStatus(c);
  assert.deepEqual([st.state, st.exitCode, st.reason, st.finishedAt], ['exited', 0, 'Completed', startedAt + 5_000]);
  await restored.close();
});
