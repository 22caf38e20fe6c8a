import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { wallClockTimeout } from './wall-clock.js';

test('wallClockTimeout never fires before Date.now() + ms (node timers alone do, by 1 ms, about one in five)', async () => {
  const N = 2000;
  let early = 0;
  let worst = 0;
  await Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
        new Promise<void>((resolve) => {
          // spread the starts over ~40 ms so that they fall at different offsets within a millisecond
          setTimeout(() => {
            const ms = 1 + (i % 25);
            const due = Date.now() + ms;
            wallClockTimeout(() => {
              const by = due - Date.now();
              if (by > 0) {
                early++;
                worst = Math.max(worst, by);
              }
              resolve();
            }, ms);
          }, i % 40);
        }),
    ),
  );
  assert.equal(early, 0, `${early} of ${N} timers fired before their time (by up to ${worst} ms)`);
});

test('wallClockTimeout: a cancelled timer never fires; ms <= 0 fires on a later turn', async () => {
  let fired = 0;
  const t = wallClockTimeout(() => fired++, 5);
  t.cancel();
  t.cancel();
  let zero = false;
  wallClockTimeout(() => (zero = true), -10);
  assert.equal(zero, false, 'not synchronously');
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual([fired, zero], [0, true]);
});

test('wallClockTimeout: a wait beyond node\'s limit, or an infinite one, neither fires early nor spins (node turns them into 1 ms)', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  let fired = 0;
  const timers = [wallClockTimeout(() => fired++, 2 ** 31 + 5000), wallClockTimeout(() => fired++, Infinity)];
  const realSetTimeout = globalThis.setTimeout;
  let arms = 0;
  // count re-arms over 50 ms: a spinning timer sets itself every millisecond
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    arms++;
    return realSetTimeout(fn, ms);
  }) as typeof setTimeout;
  try {
    await new Promise((r) => realSetTimeout(r, 50));
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  for (const t of timers) t.cancel();
  process.off('warning', onWarning);
  assert.deepEqual([fired, arms, warnings], [0, 0, []]);
});

test('wallClockTimeout: a wall clock set back does not hold the timer up (the wait is monotonic)', async () => {
  const realNow = Date.now;
  let firedAfter = -1;
  const t0 = performance.now();
  try {
    await new Promise<void>((resolve) => {
      wallClockTimeout(() => {
        firedAfter = performance.now() - t0;
        resolve();
      }, 20);
      setTimeout(() => (Date.now = () => realNow() - 10_000), 5); // set back by 10 s
    });
  } finally {
    Date.now = realNow;
  }
  assert.ok(firedAfter >= 19 && firedAfter < 1000, `fired after ${firedAfter} ms`);
});
