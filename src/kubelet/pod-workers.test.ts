import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FakeClock, settle } from '../client/fake-clock.js';
import { PodWorkers, SYNC_RETRY_INITIAL_MS } from './pod-workers.js';

test('syncs of one pod never overlap and requests during a sync collapse into one more', async () => {
  const clock = new FakeClock();
  const calls: string[] = [];
  let active = 0;
  let gate: (() => void) | undefined;
  const workers = new PodWorkers({
    clock,
    log: () => {},
    sync: async (uid) => {
      assert.equal(active++, 0, 'no overlap');
      calls.push(uid);
      if (calls.length === 1) await new Promise<void>((r) => (gate = r));
      active--;
    },
  });
  workers.enqueue('a');
  workers.enqueue('a');
  workers.enqueue('a');
  await settle();
  gate?.();
  await settle();
  assert.deepEqual(calls, ['a', 'a']);
  await workers.stop();
});

test('wakeAt keeps the earliest wake-up; a throwing sync is retried with back-off; forget cancels', async () => {
  const clock = new FakeClock();
  const at: number[] = [];
  let fail = 0;
  const workers = new PodWorkers({
    clock,
    log: () => {},
    sync: async () => {
      at.push(clock.now() - Date.UTC(2025, 0, 1));
      if (fail-- > 0) throw new Error('boom');
    },
  });
  const t0 = clock.now();
  workers.wakeAt('a', t0 + 5_000);
  workers.wakeAt('a', t0 + 3_000);
  workers.wakeAt('a', t0 + 4_000);
  await clock.advance(10_000);
  assert.deepEqual(at, [3_000]);
  fail = 2;
  workers.enqueue('a');
  await clock.advance(SYNC_RETRY_INITIAL_MS * 3);
  assert.deepEqual(at, [3_000, 10_000, 11_000, 13_000], 'retried after 1 s, then 2 s');
  workers.wakeAt('a', clock.now() + 1_000);
  workers.forget('a');
  await clock.advance(5_000);
  assert.equal(at.length, 4);
  assert.deepEqual(workers.uids(), []);
  await workers.stop();
  assert.equal(clock.pending(), 0);
});
