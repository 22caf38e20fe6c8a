import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod, Probe } from 'kubernetes-types/core/v1.js';
import { systemClock } from '../../client/clock.js';
import { FakeClock } from '../../client/fake-clock.js';
import { PeriodicProbeManager } from './periodic-probe-manager.js';
import type { ProbeResult, ProbeType, Prober } from './prober.js';
import { SimulatedProbeManager } from './simulated-probe-manager.js';

function pod(probes: { readiness?: Probe; liveness?: Probe; startup?: Probe }): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { containers: [{ name: 'app', image: 'busybox', readinessProbe: probes.readiness, livenessProbe: probes.liveness, startupProbe: probes.startup }] },
  };
}

test('simulated probes: started and ready after the initial delays, with a sync asked for then; never unhealthy', async () => {
  const clock = new FakeClock();
  const changes: string[] = [];
  const m = new SimulatedProbeManager({ clock, hooks: { onChange: (uid) => changes.push(uid) } });
  const t0 = clock.now();
  m.syncPod(pod({ readiness: { initialDelaySeconds: 5 }, startup: { initialDelaySeconds: 2 } }), [{ id: 'c1', name: 'app', startedAt: t0 }]);
  assert.deepEqual([m.isStarted('c1'), m.isReady('c1')], [false, false]);
  await clock.advance(2_000);
  assert.deepEqual([m.isStarted('c1'), m.isReady('c1')], [true, false]);
  await clock.advance(3_000);
  assert.deepEqual([m.isStarted('c1'), m.isReady('c1'), changes], [true, true, ['u1']]);
  assert.equal(m.unhealthy().size, 0);
  m.syncPod(pod({}), [{ id: 'c2', name: 'app', startedAt: clock.now() }]);
  assert.deepEqual([m.isReady('c1'), m.isReady('c2')], [false, true], 'gone containers are forgotten; no probe: ready at once');
  m.stop();
  assert.equal(clock.pending(), 0);
});

test('simulated probes on the real clock: a container is ready when the sync its delay asked for comes (never 1 ms too soon)', async () => {
  // Found by hand: 2 of 4 pods of a Deployment with readinessProbe.initialDelaySeconds stayed
  // unready until the kubelet's 60 s resync, because node's timer fired 1 ms before Date.now()
  // reached readyAt, and nothing looked again. Each container here becomes ready 20-49 ms from now.
  const N = 400;
  const verdicts: boolean[] = [];
  let expected = Infinity;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const m: SimulatedProbeManager = new SimulatedProbeManager({
    clock: systemClock,
    hooks: {
      onChange: (uid) => {
        verdicts.push(m.isReady(`c-${uid}`));
        if (verdicts.length >= expected) done();
      },
    },
  });
  const now = Date.now();
  let waiting = 0;
  for (let i = 0; i < N; i++) {
    const p = pod({ readiness: { initialDelaySeconds: 1 } });
    p.metadata = { ...p.metadata, uid: `u${i}` };
    m.syncPod(p, [{ id: `c-u${i}`, name: 'app', startedAt: now - 1000 + 20 + (i % 30) }]);
    if (!m.isReady(`c-u${i}`)) waiting++;
  }
  assert.ok(waiting > N / 2, `most containers wait for their delay (${waiting} of ${N})`);
  expected = waiting;
  if (verdicts.length >= expected) done();
  const limit = setTimeout(() => assert.fail(`only ${verdicts.length} of ${waiting} syncs asked for within 5 s`), 5000);
  await all;
  clearTimeout(limit);
  m.stop();
  assert.equal(verdicts.filter((ready) => !ready).length, 0, 'containers not yet ready when their sync came');
});

/** A prober whose answers the test scripts, per probe type. */
function scripted(answers: Partial<Record<ProbeType, ProbeResult[]>>): Prober & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async probe(type) {
      calls.push(type);
      const r = answers[type]?.shift() ?? 'success';
      return { result: r, output: r === 'failure' ? 'HTTP probe failed with statuscode: 500' : '' };
    },
  };
}

test('periodic probes: initial delay, period, success and failure thresholds, Unhealthy reports, liveness failure', async () => {
  const clock = new FakeClock();
  const changes: string[] = [];
  const failures: string[] = [];
  const prober = scripted({ readiness: ['failure', 'success', 'success', 'failure'], liveness: ['failure', 'failure', 'failure'] });
  const m = new PeriodicProbeManager({ clock, prober, hooks: { onChange: (uid) => changes.push(uid), onFailure: (_p, name, type, out) => failures.push(`${name} ${type}: ${out}`) } });
  const t0 = clock.now();
  m.syncPod(
    pod({ readiness: { initialDelaySeconds: 3, periodSeconds: 1, successThreshold: 2, failureThreshold: 1 }, liveness: { periodSeconds: 10, failureThreshold: 3 } }),
    [{ id: 'c1', name: 'app', startedAt: t0 }],
  );
  assert.equal(m.isReady('c1'), false);
  await clock.advance(3_000); // readiness #1 fails at 3 s
  assert.equal(m.isReady('c1'), false);
  await clock.advance(1_000); // #2 succeeds (1 of 2)
  assert.equal(m.isReady('c1'), false);
  await clock.advance(1_000); // #3 succeeds: ready
  assert.equal(m.isReady('c1'), true);
  await clock.advance(1_000); // #4 fails, threshold 1: not ready
  assert.equal(m.isReady('c1'), false);
  assert.equal(m.unhealthy('u1').size, 0);
  await clock.advance(23_000); // liveness at 0, 10, 20 s: three failures
  assert.deepEqual([...m.unhealthy('u1')], ['c1']);
  assert.ok(failures.includes('app liveness: HTTP probe failed with statuscode: 500'));
  assert.ok(changes.length >= 3);
  m.removePod('u1');
  m.stop();
  assert.equal(clock.pending(), 0);
});

test('periodic probes: readiness and liveness wait for the startup probe; a hanging probe times out as a failure', async () => {
  const clock = new FakeClock();
  let hang = true;
  const types: string[] = [];
  const prober: Prober = {
    probe: (type, _probe, _target, signal) => {
      types.push(type);
      if (type === 'startup' && hang) {
        hang = false;
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ result: 'success', output: '' })));
      }
      return Promise.resolve({ result: 'success', output: '' });
    },
  };
  const failures: string[] = [];
  const m = new PeriodicProbeManager({ clock, prober, hooks: { onChange: () => {}, onFailure: (_p, _n, type, out) => failures.push(`${type}: ${out}`) } });
  m.syncPod(pod({ startup: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 }, readiness: { periodSeconds: 1 } }), [{ id: 'c1', name: 'app', startedAt: clock.now() }]);
  await clock.advance(4_000);
  assert.deepEqual(failures, ['startup: timeout: probe did not finish in 2s']);
  assert.deepEqual([m.isStarted('c1'), types.filter((t) => t === 'readiness').length], [false, 0]);
  await clock.advance(3_000); // startup again at 7 s (2 s timeout + 5 s period): success
  assert.equal(m.isStarted('c1'), true);
  await clock.advance(2_000);
  assert.equal(m.isReady('c1'), true);
  m.stop();
  assert.equal(clock.pending(), 0);
});
