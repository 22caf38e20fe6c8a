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
