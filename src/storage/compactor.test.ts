import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Compactor } from './compactor.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';
import { ManualTimer } from './manual-timer.js';

async function churn(store: Store, writes: number): Promise<void> {
  let rev = store.currentRevision();
  if (!(await store.get('/c/k'))) rev = (await store.create('/c/k', '0')).revision;
  for (let i = 0; i < writes; i++) rev = (await store.update('/c/k', String(i), rev)).revision;
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail('condition not reached in 5 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('Compactor', () => {
  it('compacts to currentRevision - keep, and not while history is within keep', async () => {
    const store = new MemoryStore();
    const compactor = new Compactor(store, { keep: 10 });
    await churn(store, 5);
    assert.deepEqual(await compactor.runOnce(), { compactedTo: undefined, reclaimed: false });
    assert.equal(store.compactedRevision(), 0);
    await churn(store, 20);
    assert.deepEqual(await compactor.runOnce(), { compactedTo: store.currentRevision() - 10, reclaimed: false });
    assert.equal(store.compactedRevision(), store.currentRevision() - 10);
    await store.close();
  });

  it('runs every interval until stopped', async () => {
    const store = new MemoryStore();
    const timer = new ManualTimer();
    const compactor = new Compactor(store, { keep: 3, intervalMs: 60_000, schedule: timer.schedule });
    compactor.start();
    await churn(store, 10);
    assert.deepEqual(timer.fire(), [60_000]);
    await until(() => store.compactedRevision() === store.currentRevision() - 3);
    await until(() => timer.waiting.size === 1);
    await churn(store, 10);
    timer.fire();
    await until(() => store.compactedRevision() === store.currentRevision() - 3);
    await compactor.stop();
    assert.equal(timer.waiting.size, 0);
    await store.close();
  });

  it('stops when its signal aborts', async () => {
    const store = new MemoryStore();
    const timer = new ManualTimer();
    const compactor = new Compactor(store, { schedule: timer.schedule });
    const controller = new AbortController();
    compactor.start(controller.signal);
    assert.equal(timer.waiting.size, 1);
    controller.abort();
    assert.equal(timer.waiting.size, 0);
    await store.close();
  });

  it('reports a failed run and keeps running', async () => {
    const store = new MemoryStore();
    let failures = 1;
    const flaky: Store = Object.assign(Object.create(store) as Store, {
      compact: (revision: number) => (failures-- > 0 ? Promise.reject(new Error('disk on fire')) : store.compact(revision)),
      currentRevision: () => store.currentRevision(),
      compactedRevision: () => store.compactedRevision(),
    });
    const timer = new ManualTimer();
    const errors: unknown[] = [];
    const compactor = new Compactor(flaky, { keep: 1, schedule: timer.schedule, onError: (err) => errors.push(err) });
    compactor.start();
    await churn(store, 5);
    timer.fire();
    await until(() => errors.length === 1 && timer.waiting.size === 1);
    assert.match(String(errors[0]), /disk on fire/);
    timer.fire();
    await until(() => store.compactedRevision() === store.currentRevision() - 1);
    await compactor.stop();
    await store.close();
  });

  it('stops quietly once the store is closed', async () => {
    const store = new MemoryStore();
    const timer = new ManualTimer();
    const errors: unknown[] = [];
    const compactor = new Compactor(store, { schedule: timer.schedule, onError: (err) => errors.push(err) });
    compactor.start();
    await store.close();
    timer.fire();
    await compactor.stop();
    assert.deepEqual(errors, []);
    assert.equal(timer.waiting.size, 0);
  });

  describe('on sqlite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-compactor-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('bounds the rows under churn and reclaims free pages every reclaimEveryRuns runs', async () => {
      const store = await SqliteStore.open(join(dir, 'state.db'));
      const compactor = new Compactor(store, { keep: 50, reclaimEveryRuns: 3 });
      const value = 'z'.repeat(3000);
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.create(`/big/${i}`, value)));
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.delete(`/big/${i}`)));
      await churn(store, 100);
      assert.equal((await compactor.runOnce()).reclaimed, false);
      assert.ok(store.stats().rows <= 52, `${store.stats().rows} rows`);
      assert.ok(store.stats().freePages > 0);
      await compactor.runOnce();
      assert.deepEqual(await compactor.runOnce(), { compactedTo: undefined, reclaimed: true });
      assert.equal(store.stats().freePages, 0);
      await store.close();
    });
  });
});
