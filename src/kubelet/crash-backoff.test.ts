import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { BACKOFF_MAX_MS, CrashBackoff, formatGoDuration } from './crash-backoff.js';

test('restarts: the first at once, then 10 s doubling up to 5 min, counted from the exit', () => {
  const b = new CrashBackoff();
  let t = 0;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const exitAt = t + 1_000; // each run lasts 1 s
    const { remainingMs } = b.remaining('pod', 'app', exitAt, exitAt);
    delays.push(remainingMs);
    b.next('pod', 'app', exitAt);
    t = exitAt + remainingMs;
  }
  assert.deepEqual(delays, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(b.remaining('pod', 'app', t, t + 299_000).remainingMs, 1_000, 'time passed counts');
  assert.equal(b.remaining('pod', 'app', t, t + BACKOFF_MAX_MS).remainingMs, 0);
});

test('a container that ran 10 minutes without exiting starts from no back-off; keys and pods are apart', () => {
  const b = new CrashBackoff();
  b.next('pod', 'app', 0);
  b.next('pod', 'app', 5_000);
  assert.equal(b.remaining('pod', 'app', 6_000, 6_000).delayMs, 20_000);
  assert.equal(b.remaining('pod', 'app', 5_000 + 600_001, 5_000 + 600_001).remainingMs, 0, 'reset after 10 min');
  b.next('pod', 'app', 5_000 + 600_001);
  assert.equal(b.remaining('pod', 'app', 605_002, 605_002).delayMs, 10_000);
  assert.equal(b.remaining('pod', 'other', 1, 1).remainingMs, 0);
  assert.equal(b.remaining('pod2', 'app', 1, 1).remainingMs, 0);
  b.forgetPod('pod');
  assert.equal(b.remaining('pod', 'app', 605_002, 605_002).delayMs, 0);
});

test('formatGoDuration prints as Go does', () => {
  assert.deepEqual([10_000, 300_000, 80_000, 3_723_000].map(formatGoDuration), ['10s', '5m0s', '1m20s', '1h2m3s']);
});
