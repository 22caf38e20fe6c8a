import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyExpiry } from './key-expiry.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store, WatchEvent } from './store.js';
import { ManualTimer } from './manual-timer.js';

const TTL = 60_000;
const tick = () => new Promise((r) => setImmediate(r));

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const drivers: [string, () => Store | Promise<Store>][] = [
  ['memory', () => new MemoryStore()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-expiry-'));
      dirs.push(dir);
      return SqliteStore.open(join(dir, 'db', 'state.db'));
    },
  ],
];

for (const [name, open] of drivers) {
  describe(`KeyExpiry (${name} store)`, () => {
    it('deletes keys of its prefix ttl after their last write; a rewrite re-arms; other keys stay; watchers see DELETED', async () => {
      const store = await open();
      let now = 1_000_000;
      const timer = new ManualTimer();
      await store.create('/e/old', 'before start');
      await store.create('/other/x', 'never expires');
      const expiry = new KeyExpiry(store, { prefix: '/e/', ttlMs: TTL, now: () => now, schedule: timer.schedule });
      await expiry.start();
      assert.equal(expiry.size(), 1, 'the key already there is timed from start');
      assert.deepEqual(timer.intervals(), [6_000], 'sweeps every tenth of the TTL');

      now += 30_000;
      const a = await store.create('/e/a', '1');
      await tick();
      const seen: WatchEvent[] = [];
      const w = store.watch('/', store.currentRevision(), (evs) => seen.push(...evs));

      now += 31_000; // /e/old is 61 s old, /e/a 31 s
      assert.deepEqual(await expiry.sweepOnce(), { deleted: 1, backlog: false });
      assert.equal(await store.get('/e/old'), undefined);
      assert.ok(await store.get('/e/a'));

      now += 20_000; // /e/a written again at 51 s of its 60: lives 60 s more from here
      await store.update('/e/a', '2', a.revision);
      await tick();
      now += 40_000;
      assert.deepEqual(await expiry.sweepOnce(), { deleted: 0, backlog: false });
      assert.ok(await store.get('/e/a'));
      now += 21_000;
      assert.deepEqual(await expiry.sweepOnce(), { deleted: 1, backlog: false });
      assert.equal(await store.get('/e/a'), undefined);
      assert.equal((await store.get('/other/x'))?.value, 'never expires');
      assert.equal(expiry.size(), 0);
      await tick();
      assert.deepEqual(
        seen.filter((e) => e.type === 'delete').map((e) => e.kv.key),
        ['/e/old', '/e/a'],
      );
      w.cancel();
      await expiry.stop();
      assert.equal(timer.waiting.size, 0, 'stop cancels the timer');
      await store.close();
    });

    it('a key written again after the sweep chose it is kept (compare-and-swap on the revision it saw)', async () => {
      const store = await open();
      let now = 0;
      const expiry = new KeyExpiry(store, { prefix: '/e/', ttlMs: TTL, now: () => now, schedule: new ManualTimer().schedule });
      await expiry.start();
      const k = await store.create('/e/k', '1');
      await tick();
      now += TTL;
      // the write lands before the watch has told the component (same turn as the sweep)
      const rewrite = store.update('/e/k', '2', k.revision);
      const sweep = expiry.sweepOnce();
      await rewrite;
      assert.deepEqual(await sweep, { deleted: 0, backlog: false });
      assert.equal((await store.get('/e/k'))?.value, '2');
      await tick();
      assert.equal(expiry.size(), 1, 'timed again from the new write');
      await expiry.stop();
      await store.close();
    });

    it('times the keys found at start from writtenAt: at most ttl ago, none from the future, unknown from the start', async () => {
      const store = await open();
      let now = 10_000_000;
      await store.create('/e/recent', String(now - 50_000)); // written 50 s ago: 10 s left
      await store.create('/e/old', String(now - 7_200_000)); // 2 h ago: due now
      await store.create('/e/future', String(now + 600_000)); // a clock that jumped: from start
      await store.create('/e/unknown', 'no time');
      const writtenAt = (v: string) => (/^\d+$/.test(v) ? Number(v) : undefined);
      const expiry = new KeyExpiry(store, { prefix: '/e/', ttlMs: TTL, now: () => now, schedule: new ManualTimer().schedule, writtenAt });
      await expiry.start();
      const left = async () => (await store.list('/e/')).kvs.map((kv) => kv.key).sort();
      assert.deepEqual(await expiry.sweepOnce(), { deleted: 1, backlog: false });
      assert.deepEqual(await left(), ['/e/future', '/e/recent', '/e/unknown']);
      now += 10_000;
      await expiry.sweepOnce();
      assert.deepEqual(await left(), ['/e/future', '/e/unknown']);
      now += 50_000;
      await expiry.sweepOnce();
      assert.deepEqual(await left(), []);
      await expiry.stop();
      await store.close();
    });

    it('deletes at most maxDeletesPerSweep per sweep and comes back sooner for the rest', async () => {
      const store = await open();
      let now = 0;
      const timer = new ManualTimer();
      for (let i = 0; i < 5; i++) await store.create(`/e/${i}`, 'x');
      const expiry = new KeyExpiry(store, { prefix: '/e/', ttlMs: TTL, now: () => now, schedule: timer.schedule, maxDeletesPerSweep: 2, sweepIntervalMs: 10_000, backlogIntervalMs: 500 });
      await expiry.start();
      now += TTL;
      const fire = async () => {
        const [t] = [...timer.waiting.values()];
        timer.waiting.clear();
        t!.fn();
        const deadline = Date.now() + 5_000; // the sweep's deletes wait for the store's commits
        while (timer.waiting.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      };
      await fire();
      assert.deepEqual(timer.intervals(), [500], 'a backlog: next sweep soon');
      await fire();
      await fire();
      assert.deepEqual(timer.intervals(), [10_000], 'all gone: the usual interval');
      assert.equal((await store.list('/e/')).kvs.length, 0);
      await expiry.stop();
      await store.close();
    });
  });
}

it('KeyExpiry refuses a TTL that is not positive', () => {
  assert.throws(() => new KeyExpiry(new MemoryStore(), { prefix: '/e/', ttlMs: 0 }), /ttlMs must be > 0/);
});
