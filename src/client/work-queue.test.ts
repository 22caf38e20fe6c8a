// The work queue and its rate limiters with injected time (FakeClock): no sleeping.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { FakeClock, settle } from './fake-clock.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, ITEM_MAX_DELAY_MS, defaultControllerRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

/** Whether a get() resolved by now, and with what. */
async function peek(p: Promise<string | undefined>): Promise<{ settled: boolean; value?: string }> {
  let r: { settled: boolean; value?: string } = { settled: false };
  void p.then((value) => (r = { settled: true, value }));
  await settle(1);
  return r;
}

describe('WorkQueue', () => {
  test('de-duplicates keys that are queued', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  test('a key added while it is processed is not handed out twice, and comes back after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const key = await q.get();
    assert.equal(key, 'a');
    q.add('a');
    q.add('a');
    const second = q.get();
    assert.deepEqual(await peek(second), { settled: false });
    q.done('a');
    assert.deepEqual(await peek(second), { settled: true, value: 'a' });
    q.done('a');
    assert.equal(q.len(), 0, 'added twice while processing: queued once');
  });

  test('done without a re-add does not queue the key again', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.done((await q.get())!);
    assert.equal(q.len(), 0);
  });

  test('get waits for a key; waiting getters are served in order', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const g1 = q.get();
    const g2 = q.get();
    assert.deepEqual(await peek(g1), { settled: false });
    q.add('x');
    q.add('y');
    assert.equal(await g1, 'x');
    assert.equal(await g2, 'y');
  });

  test('addAfter adds once the delay has passed; the earliest pending time wins', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 200);
    await clock.advance(49);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1);
    await clock.advance(1000);
    assert.equal(q.len(), 1, 'the later adds were merged');
    q.addAfter('b', 0);
    assert.equal(q.len(), 2, 'no delay: added at once');
  });

  test('addRateLimited backs off per key exponentially from 5 ms; forget resets', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      q.addRateLimited('a');
      while (q.len() === 0) await clock.advance(1);
      delays.push(clock.now() - start);
      q.done((await q.get())!);
    }
    assert.deepEqual(delays, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('a'), 4);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    q.addRateLimited('a');
    await clock.advance(4);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1);
  });

  test('the overall bucket lets a burst of 100 through, then 10 per second', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    for (let i = 0; i < 120; i++) q.addRateLimited(`k${i}`);
    await clock.advance(5);
    assert.equal(q.len(), 100, 'burst of 100, each after its own 5 ms first backoff');
    await clock.advance(95);
    assert.equal(q.len(), 101, 'the 101st token comes 100 ms later');
    await clock.advance(1900);
    assert.equal(q.len(), 120);
  });

  test('shutDown: waiting and later gets return undefined; adds are ignored; delayed keys and timers are dropped', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const waiting = q.get();
    q.addAfter('later', 1000);
    q.shutDown();
    assert.equal(await waiting, undefined);
    q.add('a');
    assert.equal(await q.get(), undefined);
    assert.equal(clock.pending(), 0);
    assert.ok(q.isShuttingDown());
  });

  test('workers: N keys processed by concurrent workers, each key by one worker at a time', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const active = new Set<string>();
    const processed: string[] = [];
    const worker = async () => {
      for (let key; (key = await q.get()) !== undefined; ) {
        assert.ok(!active.has(key), `${key} processed twice at once`);
        active.add(key);
        await settle(1);
        processed.push(key);
        active.delete(key);
        q.done(key);
      }
    };
    const workers = [worker(), worker(), worker()];
    for (let i = 0; i < 10; i++) q.add(`k${i % 4}`);
    await settle(5);
    for (let i = 0; i < 4; i++) q.add(`k${i}`);
    await settle(5);
    q.shutDown();
    await Promise.all(workers);
    for (let i = 0; i < 4; i++) assert.ok(processed.filter((k) => k === `k${i}`).length >= 1);
  });
});

describe('rate limiters', () => {
  test('per-item exponential backoff caps at 1000 s', () => {
    const r = new ItemExponentialRateLimiter();
    let last = 0;
    for (let i = 0; i < 40; i++) last = r.when('x');
    assert.equal(last, ITEM_MAX_DELAY_MS);
    assert.equal(r.when('y'), 5, 'items are independent');
  });

  test('token bucket refills at qps up to burst', () => {
    const clock = new FakeClock();
    const b = new BucketRateLimiter(10, 2, clock);
    assert.deepEqual([b.when(), b.when(), b.when(), b.when()], [0, 0, 100, 200]);
  });

  test('the default controller limiter is the slower of the two', () => {
    const clock = new FakeClock();
    const r = defaultControllerRateLimiter(clock);
    assert.equal(r.when('a'), 5);
    assert.equal(r.when('a'), 10);
    for (let i = 0; i < 98; i++) r.when(`b${i}`);
    assert.equal(r.when('c'), 100, 'bucket exhausted: the bucket delay wins over 5 ms');
    assert.equal(r.numRequeues('a'), 2);
    r.forget('a');
    assert.equal(r.numRequeues('a'), 0);
  });
});
