// Leader election between candidates sharing one FakeClient (a hand-written in-memory fake of
// Client, checked by the client contract suite), with a FakeClock. The safety property is checked
// at every step of simulated time: never two leaders at once.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { KubeObject } from '../api/object.js';
import { resourceInfo } from './client.js';
import { FakeClient } from './fake-client.js';
import { FakeClock } from './fake-clock.js';
import { DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS, LeaderElector, microTime } from './leader-election.js';

const LEASES = resourceInfo('coordination.k8s.io', 'v1', 'leases');

interface Candidate {
  readonly id: string;
  readonly elector: LeaderElector;
  /** the signals given to onStartedLeading, in order */
  readonly terms: AbortSignal[];
  stopped: number;
  /** when true, every request of this candidate fails as if its network were down */
  down: boolean;
}

describe('LeaderElector', () => {
  let clock: FakeClock;
  let store: FakeClient;
  let candidates: Candidate[];

  const candidate = (id: string): Candidate => {
    // Each candidate talks to the shared store through its own view, which can be cut off.
    const view = Object.create(store) as FakeClient;
    const c: Candidate = { id, elector: undefined as unknown as LeaderElector, terms: [], stopped: 0, down: false };
    const guard = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => (...a: A): Promise<R> => (c.down ? Promise.reject(new Error('network is unreachable')) : f.apply(store, a));
    view.get = guard(store.get) as FakeClient['get'];
    view.create = guard(store.create) as FakeClient['create'];
    view.update = guard(store.update) as FakeClient['update'];
    (c as { elector: LeaderElector }).elector = new LeaderElector({
      client: view,
      namespace: 'kube-system',
      name: 'skiff-controller-manager',
      identity: id,
      clock,
      random: () => 0,
      onStartedLeading: (signal) => c.terms.push(signal),
      onStoppedLeading: () => c.stopped++,
    });
    candidates.push(c);
    return c;
  };

  const leaders = () => candidates.filter((c) => c.elector.isLeader()).map((c) => c.id);

  /** Advances time in 100 ms steps, checking that there is never more than one leader. */
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      await clock.advance(Math.min(100, ms - t));
      assert.ok(leaders().length <= 1, `two leaders at ${clock.now()}: ${leaders().join(', ')}`);
      const active = candidates.filter((c) => c.terms.some((s) => !s.aborted));
      assert.ok(active.length <= 1, `two unaborted leading signals: ${active.map((c) => c.id).join(', ')}`);
    }
  };

  const lease = async (): Promise<Record<string, unknown>> => (await store.get<KubeObject>(LEASES, 'kube-system', 'skiff-controller-manager')).spec as Record<string, unknown>;

  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2025, 0, 1));
    store = new FakeClient({ clock });
    candidates = [];
  });

  afterEach(async () => {
    for (const c of candidates) await c.elector.stop();
    assert.equal(clock.pending(), 0, 'no timer left pending');
  });

  test('the first candidate creates the Lease and leads', async () => {
    const a = candidate('a');
    a.elector.start();
    await run(100);
    assert.deepEqual(leaders(), ['a']);
    assert.equal(a.terms.length, 1);
    assert.deepEqual(await lease(), {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: microTime(Date.UTC(2025, 0, 1)),
      renewTime: microTime(Date.UTC(2025, 0, 1)),
      leaseTransitions: 0,
    });
    assert.equal(microTime(Date.UTC(2025, 0, 1, 0, 0, 0, 123)), '2025-01-01T00:00:00.123000Z');
  });

  test('the leader renews every retryPeriod and a second candidate stays a follower', async () => {
    const a = candidate('a');
    a.elector.start();
    await run(100);
    const b = candidate('b');
    b.elector.start();
    await run(60_000);
    assert.deepEqual(leaders(), ['a']);
    assert.equal(b.terms.length, 0);
    assert.equal(b.elector.leader(), 'a');
    const spec = await lease();
    assert.equal(spec.acquireTime, microTime(Date.UTC(2025, 0, 1)));
    assert.ok(Date.parse(String(spec.renewTime)) >= clock.now() - DEFAULT_RETRY_PERIOD_MS, 'renewed within the last retryPeriod');
  });

  test('stop releases the Lease and another candidate takes over within a retryPeriod', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    await run(100);
    b.elector.start();
    await run(5_000);
    await a.elector.stop();
    assert.equal(a.stopped, 1);
    assert.ok(a.terms[0]!.aborted);
    assert.equal((await lease()).holderIdentity, '');
    await run(DEFAULT_RETRY_PERIOD_MS);
    assert.deepEqual(leaders(), ['b']);
    assert.equal((await lease()).leaseTransitions, 1);
  });

  test('a leader cut off steps down before renewDeadline; the follower takes over only after leaseDuration', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    await run(100);
    b.elector.start();
    await run(10_000);
    const lastRenew = Date.parse(String((await lease()).renewTime));
    a.down = true;

    await run(DEFAULT_RENEW_DEADLINE_MS);
    assert.deepEqual(leaders(), [], 'a has stepped down, b has not taken over yet');
    assert.equal(a.stopped, 1);
    assert.ok(a.terms[0]!.aborted);
    assert.ok(clock.now() - lastRenew <= DEFAULT_RENEW_DEADLINE_MS + 100);

    await run(DEFAULT_LEASE_DURATION_MS + 2 * DEFAULT_RETRY_PERIOD_MS);
    assert.deepEqual(leaders(), ['b']);
    const spec = await lease();
    assert.equal(spec.holderIdentity, 'b');
    assert.equal(spec.leaseTransitions, 1);

    // a comes back as a follower: it does not take the Lease back while b renews.
    a.down = false;
    await run(30_000);
    assert.deepEqual(leaders(), ['b']);
    assert.equal(a.terms.length, 1);
  });

  test('a Lease left by a vanished holder is taken after leaseDuration, measured from when it was first seen', async () => {
    await store.create(LEASES, {
      metadata: { name: 'skiff-controller-manager', namespace: 'kube-system' },
      spec: { holderIdentity: 'ghost', leaseDurationSeconds: 15, renewTime: microTime(0), leaseTransitions: 4 },
    });
    const c = candidate('c');
    c.elector.start();
    await run(DEFAULT_LEASE_DURATION_MS - 100);
    assert.deepEqual(leaders(), [], 'not before leaseDuration, however old renewTime looks');
    await run(DEFAULT_RETRY_PERIOD_MS + 200);
    assert.deepEqual(leaders(), ['c']);
    assert.equal((await lease()).leaseTransitions, 5);
  });

  test('three candidates racing: exactly one wins', async () => {
    for (const id of ['x', 'y', 'z']) candidate(id).elector.start();
    await run(20_000);
    assert.equal(leaders().length, 1);
  });

  test('options are checked: leaseDuration > renewDeadline > 1.2 × retryPeriod', () => {
    const base = { client: store, namespace: 'n', name: 'l', identity: 'i', onStartedLeading: () => undefined, onStoppedLeading: () => undefined };
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /leaseDuration/);
    assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renewDeadline/);
    assert.throws(() => new LeaderElector({ ...base, identity: '' }), /identity/);
  });
});
