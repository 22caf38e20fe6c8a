import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from './memory.js';
import { storeContract } from './store-contract.js';
import type { WatchEvent } from './store.js';

storeContract('memory', async () => new MemoryStore());

describe('MemoryStore', () => {
  it('commits the writes of one event loop turn as one batch', async () => {
    const store = new MemoryStore();
    const batches: number[][] = [];
    const handle = store.watch('', 0, (events: readonly WatchEvent[]) => batches.push(events.map((e) => e.revision)));
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(`/b/${i}`, 'v')));
    assert.deepEqual(batches, [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    handle.cancel();
    await store.close();
  });

  it('splits a turn into batches of at most maxBatch writes', async () => {
    const store = new MemoryStore({ maxBatch: 4 });
    const batches: number[] = [];
    const handle = store.watch('', 0, (events: readonly WatchEvent[]) => batches.push(events.length));
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(`/b/${i}`, 'v')));
    assert.deepEqual(batches, [4, 4, 2]);
    handle.cancel();
    await store.close();
  });

  it('forgets cancelled watches and closes the rest', async () => {
    const store = new MemoryStore();
    const a = store.watch('/a/', 0, () => undefined);
    store.watch('/b/', 0, () => undefined);
    assert.equal(store.watchCount, 2);
    a.cancel();
    assert.equal(store.watchCount, 1);
    await store.close();
    assert.equal(store.watchCount, 0);
  });
});
