import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FakeClock } from '../client/fake-clock.js';
import { HeartbeatScheduler } from './heartbeat.js';

test('members are spread over slots: each beats once per period, one slot per tick', async () => {
  const clock = new FakeClock();
  const hb = new HeartbeatScheduler({ clock, periodMs: 10_000, slots: 5 });
  const beats: string[] = [];
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) hb.add({ beat: async () => void beats.push(`${name}@${(clock.now() - Date.UTC(2025, 0, 1)) / 1000}`) });
  hb.start();
  await clock.advance(10_000);
  assert.deepEqual(beats, ['a@2', 'f@2', 'b@4', 'c@6', 'd@8', 'e@10']);
  await clock.advance(10_000);
  assert.equal(beats.length, 12);
  await hb.stop();
  assert.equal(clock.pending(), 0);
});

test('a member still beating skips its turn; a bounded number beat at once; removed members stop', async () => {
  const clock = new FakeClock();
  const hb = new HeartbeatScheduler({ clock, periodMs: 1_000, concurrency: 2 });
  let inFlight = 0;
  let peak = 0;
  let slowCalls = 0;
  let release: (() => void) | undefined;
  const slow = { beat: () => new Promise<void>((r) => ((release = r), slowCalls++)) };
  const quick = () => ({
    beat: async () => {
      peak = Math.max(peak, ++inFlight);
      await Promise.resolve();
      inFlight--;
    },
  });
  hb.add(slow);
  for (let i = 0; i < 5; i++) hb.add(quick());
  const remove = hb.add({ beat: async () => assert.fail('removed') });
  remove();
  hb.start();
  await clock.advance(3_000);
  assert.equal(slowCalls, 1, 'the slow member skipped while busy');
  assert.ok(peak <= 1, 'one lane is held by the slow member');
  release?.();
  await clock.advance(1_000);
  assert.equal(slowCalls, 2);
  release?.();
  await hb.stop();
});
