import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite.js';
import { storeContract } from './store-contract.js';
import type { WatchEvent } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `state-${++files}.db`);

storeContract('sqlite', () => SqliteStore.open(freshPath()));

describe('SqliteStore', () => {
  it('finds its data, revisions and history again after reopening, and continues the revisions', async () => {
    const path = freshPath();
    const first = await SqliteStore.open(path);
    const a = await first.create('/r/a', 'a1');
    await first.create('/r/b', 'b1');
    await first.update('/r/a', 'a2', a.revision);
    await first.delete('/r/b');
    await first.create('/r/c', 'c1');
    await first.compact(3);
    const listAt4 = await first.list('', { revision: 4 });
    const latest = await first.list('');
    const history = await collect(first, 2, 5);
    await first.close();

    const second = await SqliteStore.open(path);
    assert.equal(second.currentRevision(), 5);
    assert.equal(second.compactedRevision(), 3);
    assert.deepEqual(await second.list(''), latest);
    assert.deepEqual(await second.list('', { revision: 4 }), listAt4);
    assert.deepEqual(await collect(second, 2, 5), history);
    const next = await second.create('/r/d', 'd1');
    assert.equal(next.revision, 6);
    const b = await second.create('/r/b', 'b2');
    assert.equal(b.kv.createRevision, 7);
    await second.close();
  });

  it('makes the writes pending at close durable', async () => {
    const path = freshPath();
    const first = await SqliteStore.open(path);
    const writes = Array.from({ length: 50 }, (_, i) => first.create(`/p/${i}`, String(i)));
    await first.close();
    await Promise.all(writes);
    const second = await SqliteStore.open(path);
    assert.equal(second.currentRevision(), 50);
    assert.equal(await second.count('/p/'), 50);
    await second.close();
  });

  it('refuses a second open of a database in use', async () => {
    const path = freshPath();
    const first = await SqliteStore.open(path);
    await first.create('/k', 'v');
    await assert.rejects(SqliteStore.open(path, { busyTimeoutMs: 0 }), /database is locked/);
    await first.close();
    const again = await SqliteStore.open(path);
    assert.equal(again.currentRevision(), 1);
    await again.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const path = freshPath();
    await (await SqliteStore.open(path)).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    await assert.rejects(SqliteStore.open(path), /expected schema version <= 1, got 99/);
  });

  it('keeps the row count and the file bounded under churn when compacted', async () => {
    const store = await SqliteStore.open(freshPath());
    const keys = 50;
    const keep = 100;
    const value = 'x'.repeat(2000);
    const revs = new Map<string, number>();
    for (let i = 0; i < keys; i++) revs.set(`/churn/${i}`, (await store.create(`/churn/${i}`, value)).revision);
    let pagesAfterWarmup = 0;
    for (let round = 0; round < 40; round++) {
      await Promise.all(
        [...revs].map(async ([key, rev]) => {
          // Every fifth key is deleted and recreated, the others updated.
          if (round % 5 === 0 && key.endsWith('5')) {
            await store.delete(key, rev);
            revs.set(key, (await store.create(key, value)).revision);
          } else {
            revs.set(key, (await store.update(key, `${value}${round}`, rev)).revision);
          }
        }),
      );
      await store.compact(store.currentRevision() - keep);
      assert.ok(store.stats().rows <= keys + keep + 1, `round ${round}: ${store.stats().rows} rows`);
      if (round === 9) pagesAfterWarmup = store.stats().pages;
    }
    assert.ok(store.stats().pages <= pagesAfterWarmup * 1.1, `pages grew from ${pagesAfterWarmup} to ${store.stats().pages}`);
    assert.equal(await store.count('/churn/'), keys);
    await store.close();
  });

  it('returns freed pages to the file system on reclaimSpace', async () => {
    const store = await SqliteStore.open(freshPath());
    const value = 'y'.repeat(4000);
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.create(`/big/${i}`, value)));
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.delete(`/big/${i}`)));
    await store.create('/small', 'v');
    await store.compact(store.currentRevision());
    const before = store.stats();
    assert.ok(before.freePages > 0);
    await store.reclaimSpace();
    const afterReclaim = store.stats();
    assert.equal(afterReclaim.freePages, 0);
    assert.ok(afterReclaim.pages < before.pages / 2, `${before.pages} -> ${afterReclaim.pages} pages`);
    assert.equal(afterReclaim.rows, 1);
    await store.close();
  });
});

/** The revisions and keys of the events after `after`, waiting for revision `until`. */
async function collect(store: SqliteStore, after: number, until: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const handle = store.watch('', after, (batch) => events.push(...batch));
  while ((events.at(-1)?.revision ?? 0) < until) await new Promise((resolve) => setImmediate(resolve));
  handle.cancel();
  return events;
}
