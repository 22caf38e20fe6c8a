// The Store conformance suite: every driver runs it (memory.test.ts, sqlite.test.ts, later etcd).
// `open` must return a fresh, empty store each time; the suite closes it after each test.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreClosedError,
  type KeyValue,
  type Store,
  type WatchEvent,
  type WriteResult,
} from './store.js';

/** How long a test waits for watch events before it fails. */
const WATCH_TIMEOUT_MS = 5000;

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('revisions', () => {
      it('starts empty at revision 0', async () => {
        assert.equal(store.currentRevision(), 0);
        assert.equal(store.compactedRevision(), 0);
        assert.deepEqual(await store.list(''), { kvs: [], revision: 0, more: false, count: 0 });
      });

      it('gives every write the next global revision, across keys', async () => {
        const a = await store.create('/r/a', 'a1');
        const b = await store.create('/r/b', 'b1');
        const a2 = await store.update('/r/a', 'a2', a.revision);
        const bDel = await store.delete('/r/b');
        assert.deepEqual(
          [a.revision, b.revision, a2.revision, bDel.revision],
          [1, 2, 3, 4],
        );
        assert.deepEqual(a.kv, { key: '/r/a', value: 'a1', createRevision: 1, modRevision: 1 });
        assert.deepEqual(a2.kv, { key: '/r/a', value: 'a2', createRevision: 1, modRevision: 3 });
        assert.equal(store.currentRevision(), 4);
      });

      it('gives failed writes no revision', async () => {
        const a = await store.create('/r/a', 'a1');
        await assert.rejects(store.create('/r/a', 'again'), KeyExistsError);
        await assert.rejects(store.update('/r/a', 'x', a.revision + 7), RevisionConflictError);
        await assert.rejects(store.delete('/r/missing'), KeyNotFoundError);
        assert.equal(store.currentRevision(), a.revision);
        assert.equal((await store.create('/r/b', 'b')).revision, a.revision + 1);
      });
    });

    describe('create', () => {
      it('fails with KeyExistsError on an existing key and leaves it unchanged', async () => {
        await store.create('/c/k', 'v1');
        await assert.rejects(store.create('/c/k', 'v2'), (err: unknown) => {
          assert.ok(err instanceof KeyExistsError);
          assert.equal(err.key, '/c/k');
          return true;
        });
        assert.equal((await store.get('/c/k'))?.value, 'v1');
      });

      it('recreates a deleted key with a new createRevision', async () => {
        await store.create('/c/k', 'v1');
        await store.delete('/c/k');
        const again = await store.create('/c/k', 'v2');
        assert.deepEqual(again.kv, { key: '/c/k', value: 'v2', createRevision: 3, modRevision: 3 });
      });
    });

    describe('update', () => {
      it('replaces the value when the expected revision matches and keeps createRevision', async () => {
        const c = await store.create('/u/k', 'v1');
        const u = await store.update('/u/k', 'v2', c.revision);
        assert.deepEqual(u.kv, { key: '/u/k', value: 'v2', createRevision: c.revision, modRevision: u.revision });
        assert.deepEqual(await store.get('/u/k'), u.kv);
      });

      it('fails with RevisionConflictError carrying the current kv when the revision is stale', async () => {
        const c = await store.create('/u/k', 'v1');
        const u = await store.update('/u/k', 'v2', c.revision);
        await assert.rejects(store.update('/u/k', 'v3', c.revision), (err: unknown) => {
          assert.ok(err instanceof RevisionConflictError);
          assert.equal(err.key, '/u/k');
          assert.deepEqual(err.current, u.kv);
          return true;
        });
        assert.deepEqual(await store.get('/u/k'), u.kv);
      });

      it('fails with KeyNotFoundError on a missing key', async () => {
        await assert.rejects(store.update('/u/missing', 'v', 1), KeyNotFoundError);
      });
    });

    describe('delete', () => {
      it('deletes when the expected revision matches and resolves with the deleted kv', async () => {
        const c = await store.create('/d/k', 'v1');
        const d = await store.delete('/d/k', c.revision);
        assert.equal(d.revision, c.revision + 1);
        assert.deepEqual(d.kv, c.kv);
        assert.equal(await store.get('/d/k'), undefined);
        assert.equal(await store.count('/d/'), 0);
      });

      it('fails with RevisionConflictError on a stale revision and keeps the key', async () => {
        const c = await store.create('/d/k', 'v1');
        const u = await store.update('/d/k', 'v2', c.revision);
        await assert.rejects(store.delete('/d/k', c.revision), (err: unknown) => {
          assert.ok(err instanceof RevisionConflictError);
          assert.deepEqual(err.current, u.kv);
          return true;
        });
        assert.deepEqual(await store.get('/d/k'), u.kv);
      });

      it('deletes unconditionally without an expected revision', async () => {
        await store.create('/d/k', 'v1');
        await store.update('/d/k', 'v2', 1);
        const d = await store.delete('/d/k');
        assert.equal(d.kv.value, 'v2');
        assert.equal(await store.get('/d/k'), undefined);
      });

      it('fails with KeyNotFoundError on a missing or already deleted key', async () => {
        await assert.rejects(store.delete('/d/missing'), KeyNotFoundError);
        await store.create('/d/k', 'v');
        await store.delete('/d/k');
        await assert.rejects(store.delete('/d/k'), KeyNotFoundError);
      });
    });

    describe('get, list and count', () => {
      const keys = ['/a/b', '/a/b/x', '/a/b/y', '/a/bc', '/a/bc/z', '/a/c/q', '/b/x'];

      it('matches exactly the keys under a prefix ending with "/"', async () => {
        for (const key of keys) await store.create(key, `v${key}`);
        const underB = await store.list('/a/b/');
        assert.deepEqual(underB.kvs.map((kv) => kv.key), ['/a/b/x', '/a/b/y']);
        assert.equal(underB.count, 2);
        assert.equal(underB.more, false);
        assert.equal(underB.revision, store.currentRevision());
        assert.equal(await store.count('/a/b/'), 2);
        assert.equal(await store.count('/a/bc/'), 1);
        assert.equal(await store.count('/a/'), 6);
        assert.deepEqual((await store.list('')).kvs.map((kv) => kv.key), keys);
        assert.deepEqual((await store.list('/nothing/')).kvs, []);
      });

      it('gets the latest kv of a key and undefined for a missing one', async () => {
        const c = await store.create('/g/k', 'v1');
        const u = await store.update('/g/k', 'v2', c.revision);
        assert.deepEqual(await store.get('/g/k'), u.kv);
        assert.equal(await store.get('/g/k/'), undefined);
        assert.equal(await store.get('/g/'), undefined);
      });

      it('orders keys by code point (UTF-8 byte order), at the latest and at past revisions', async () => {
        const order = ['/k/a', '/k/z', '/k/\u00e9', '/k/\ue000', '/k/\uffee', '/k/\u{1f600}', '/k/\u{1f600}x'];
        for (const key of [...order].reverse()) await store.create(key, key);
        const revision = store.currentRevision();
        await store.delete('/k/z');
        assert.deepEqual((await store.list('/k/', { revision })).kvs.map((kv) => kv.key), order);
        const latest = order.filter((k) => k !== '/k/z');
        assert.deepEqual((await store.list('/k/')).kvs.map((kv) => kv.key), latest);
        assert.deepEqual(await pageKeys(store, '/k/', 1), latest);
        assert.deepEqual(await pageKeys(store, '/k/', 2, revision), order);
        assert.deepEqual((await store.list('/k/\u{1f600}')).kvs.map((kv) => kv.key), ['/k/\u{1f600}', '/k/\u{1f600}x']);
      });

      it('paginates with startKey and limit, reporting more and the remaining count', async () => {
        const all: string[] = [];
        for (let i = 0; i < 25; i++) all.push(`/p/item-${String(i).padStart(2, '0')}`);
        for (const key of all) await store.create(key, key);
        await store.create('/pz', 'outside');
        const first = await store.list('/p/', { limit: 10 });
        assert.deepEqual(first.kvs.map((kv) => kv.key), all.slice(0, 10));
        assert.equal(first.more, true);
        assert.equal(first.count, 25);
        const second = await store.list('/p/', { limit: 10, startKey: `${all[9]}\0`, revision: first.revision });
        assert.deepEqual(second.kvs.map((kv) => kv.key), all.slice(10, 20));
        assert.equal(second.more, true);
        assert.equal(second.count, 15);
        const third = await store.list('/p/', { limit: 10, startKey: `${all[19]}\0`, revision: first.revision });
        assert.deepEqual(third.kvs.map((kv) => kv.key), all.slice(20));
        assert.equal(third.more, false);
        assert.equal(third.count, 5);
        const exact = await store.list('/p/', { limit: 25 });
        assert.equal(exact.more, false);
        assert.equal(exact.kvs.length, 25);
        const fromMiddle = await store.list('/p/', { startKey: all[24] });
        assert.deepEqual(fromMiddle.kvs.map((kv) => kv.key), [all[24]]);
        assert.equal(fromMiddle.count, 1);
        assert.equal((await store.list('/p/', { startKey: '/a' })).count, 25);
        assert.equal((await store.list('/p/', { startKey: '/q' })).count, 0);
      });

      it('rejects a negative limit', async () => {
        await assert.rejects(store.list('/p/', { limit: -1 }), RangeError);
      });
    });

    describe('lists at past revisions', () => {
      it('return the state of each revision, paginated or not', async () => {
        const snapshots = await randomHistory(store, 120);
        for (let revision = 1; revision <= store.currentRevision(); revision++) {
          const want = snapshots[revision];
          for (const prefix of ['', '/h/x/', '/h/y/']) {
            const expected = want.filter((kv) => kv.key.startsWith(prefix));
            const got = await store.list(prefix, { revision });
            assert.deepEqual(got.kvs, expected, `list ${prefix} at ${revision}`);
            assert.equal(got.revision, revision);
            assert.equal(got.count, expected.length);
          }
          assert.deepEqual(await pageKeys(store, '/h/x/', 2, revision), keysOf(want, '/h/x/'), `pages at ${revision}`);
        }
      });

      it('fail with FutureRevisionError beyond the current revision', async () => {
        await store.create('/f/k', 'v');
        await assert.rejects(store.list('/f/', { revision: 2 }), (err: unknown) => {
          assert.ok(err instanceof FutureRevisionError);
          assert.equal(err.requested, 2);
          assert.equal(err.current, 1);
          return true;
        });
      });
    });

    describe('watch', () => {
      it('replays history after afterRevision, then streams live writes, in order', async () => {
        const c = await store.create('/w/a', 'a1');
        const u = await store.update('/w/a', 'a2', c.revision);
        await store.create('/w/b', 'b1');
        const rec = new Recorder();
        const handle = store.watch('/w/', c.revision, rec.onEvents);
        await rec.until(3);
        assert.deepEqual(rec.revisions(), [2, 3]);
        assert.deepEqual(rec.events[0], { type: 'update', revision: 2, kv: u.kv, prevKv: c.kv });
        const d = await store.delete('/w/a');
        const b2 = await store.update('/w/b', 'b2', 3);
        await rec.until(b2.revision);
        assert.deepEqual(rec.revisions(), [2, 3, 4, 5]);
        assert.deepEqual(rec.events[2], {
          type: 'delete',
          revision: d.revision,
          kv: { ...u.kv, modRevision: d.revision },
          prevKv: u.kv,
        });
        assert.deepEqual(rec.events[1], { type: 'create', revision: 3, kv: { key: '/w/b', value: 'b1', createRevision: 3, modRevision: 3 } });
        handle.cancel();
      });

      it('replays everything from revision 0 and nothing when starting at the current revision', async () => {
        for (let i = 0; i < 5; i++) await store.create(`/w/${i}`, 'v');
        const all = new Recorder();
        const fromNow = new Recorder();
        const h1 = store.watch('', 0, all.onEvents);
        const h2 = store.watch('', store.currentRevision(), fromNow.onEvents);
        await store.create('/w/5', 'v');
        await all.until(6);
        await fromNow.until(6);
        assert.deepEqual(all.revisions(), [1, 2, 3, 4, 5, 6]);
        assert.deepEqual(fromNow.revisions(), [6]);
        h1.cancel();
        h2.cancel();
      });

      it('does not call onEvents before watch() has returned', async () => {
        await store.create('/w/a', 'v');
        let returned = false;
        let calledEarly = false;
        const rec = new Recorder();
        const handle = store.watch('/w/', 0, (events) => {
          if (!returned) calledEarly = true;
          rec.onEvents(events);
        });
        returned = true;
        await rec.until(1);
        assert.equal(calledEarly, false);
        handle.cancel();
      });

      it('delivers only events under its prefix', async () => {
        await store.create('/a/b/1', 'v');
        await store.create('/a/bc', 'v');
        const rec = new Recorder();
        const handle = store.watch('/a/b/', 0, rec.onEvents);
        await store.create('/a/bc/2', 'v');
        await store.create('/a/b', 'v');
        const last = await store.create('/a/b/3', 'v');
        await rec.until(last.revision);
        assert.deepEqual(rec.keys(), ['/a/b/1', '/a/b/3']);
        handle.cancel();
      });

      it('stops delivering after cancel(), which is idempotent', async () => {
        const rec = new Recorder();
        const handle = store.watch('/w/', 0, rec.onEvents);
        await store.create('/w/a', 'v');
        await rec.until(1);
        handle.cancel();
        handle.cancel();
        await store.create('/w/b', 'v');
        await settle();
        assert.deepEqual(rec.revisions(), [1]);
      });

      it('delivers no replay when cancelled right after watch()', async () => {
        await store.create('/w/a', 'v');
        const rec = new Recorder();
        store.watch('/w/', 0, rec.onEvents).cancel();
        await store.create('/w/b', 'v');
        await settle();
        assert.deepEqual(rec.events, []);
      });

      it('throws FutureRevisionError synchronously for a revision after the current one', async () => {
        await store.create('/w/a', 'v');
        assert.throws(() => store.watch('/w/', 2, () => undefined), FutureRevisionError);
      });

      it('sees every revision exactly once, in order, under concurrent writers', async () => {
        const writers = 20;
        const writesEach = 50;
        const start = store.currentRevision();
        const whole = new Recorder();
        const h1 = store.watch('/cw/', start, whole.onEvents);
        let late: { rec: Recorder; after: number; handle: { cancel(): void } } | undefined;
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            const key = `/cw/${w}`;
            let rev = (await store.create(key, '0')).revision;
            for (let i = 1; i < writesEach; i++) {
              if (w === 0 && i === writesEach / 2) {
                const rec = new Recorder();
                const after = store.currentRevision();
                late = { rec, after, handle: store.watch('/cw/', after, rec.onEvents) };
              }
              rev = (await store.update(key, String(i), rev)).revision;
            }
          }),
        );
        const end = store.currentRevision();
        assert.equal(end - start, writers * writesEach);
        await whole.until(end);
        assert.deepEqual(whole.revisions(), range(start + 1, end));
        assert.ok(late);
        await late.rec.until(end);
        assert.deepEqual(late.rec.revisions(), range(late.after + 1, end));
        const perKey = new Map<string, string[]>();
        for (const e of whole.events) perKey.set(e.kv.key, [...(perKey.get(e.kv.key) ?? []), e.kv.value]);
        for (const values of perKey.values()) assert.deepEqual(values, range(0, writesEach - 1).map(String));
        h1.cancel();
        late.handle.cancel();
      });
    });

    describe('compaction', () => {
      it('keeps the latest state and the history from the compacted revision on', async () => {
        const snapshots = await randomHistory(store, 60);
        const current = store.currentRevision();
        const rev = 40;
        await store.compact(rev);
        assert.equal(store.compactedRevision(), rev);
        assert.equal(store.currentRevision(), current);
        assert.deepEqual((await store.list('')).kvs, snapshots[current]);
        for (let revision = rev; revision <= current; revision++) {
          assert.deepEqual((await store.list('', { revision })).kvs, snapshots[revision], `list at ${revision}`);
        }
        const rec = new Recorder();
        const handle = store.watch('', rev - 1, rec.onEvents);
        await rec.until(current);
        assert.deepEqual(rec.revisions(), range(rev, current));
        for (const e of rec.events) {
          const before = snapshots[e.revision - 1].find((kv) => kv.key === e.kv.key);
          assert.deepEqual(e.prevKv, before, `prevKv of revision ${e.revision}`);
        }
        handle.cancel();
      });

      it('fails older lists and watches with CompactedError', async () => {
        await randomHistory(store, 30);
        await store.compact(20);
        await assert.rejects(store.list('', { revision: 19 }), (err: unknown) => {
          assert.ok(err instanceof CompactedError);
          assert.equal(err.requested, 19);
          assert.equal(err.compacted, 20);
          return true;
        });
        assert.throws(() => store.watch('', 18, () => undefined), CompactedError);
        store.watch('', 19, () => undefined).cancel();
      });

      it('is idempotent, never moves back and refuses future revisions', async () => {
        await randomHistory(store, 10);
        await store.compact(8);
        await store.compact(5);
        await store.compact(8);
        assert.equal(store.compactedRevision(), 8);
        await assert.rejects(store.compact(11), FutureRevisionError);
        await store.compact(10);
        assert.equal(store.compactedRevision(), 10);
        assert.deepEqual(await store.list('', { revision: 10 }), await store.list(''));
      });

      it('keeps writes, CAS and recreation of deleted keys working', async () => {
        const a = await store.create('/k/a', '1');
        await store.create('/k/b', '1');
        await store.delete('/k/b');
        const a2 = await store.update('/k/a', '2', a.revision);
        await store.compact(store.currentRevision());
        await assert.rejects(store.update('/k/a', '3', a.revision), RevisionConflictError);
        await store.update('/k/a', '3', a2.revision);
        const b = await store.create('/k/b', '2');
        assert.equal(b.kv.createRevision, b.revision);
        assert.deepEqual((await store.list('/k/')).kvs.map((kv) => kv.value), ['3', '2']);
      });
    });

    describe('concurrent compare-and-swap', () => {
      it('lets exactly one of 50 updaters with the same expected revision win', async () => {
        const c = await store.create('/cas/k', 'start');
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => store.update('/cas/k', `writer-${i}`, c.revision)),
        );
        const won = results.filter((r): r is PromiseFulfilledResult<WriteResult> => r.status === 'fulfilled');
        assert.equal(won.length, 1);
        for (const r of results) {
          if (r.status === 'rejected') assert.ok(r.reason instanceof RevisionConflictError);
        }
        assert.equal(store.currentRevision(), c.revision + 1);
        assert.deepEqual(await store.get('/cas/k'), won[0].value.kv);
      });

      it('lets exactly one of 50 creators of one key win', async () => {
        const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.create('/cas/new', `${i}`)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof KeyExistsError);
      });

      it('lets exactly one of 50 conditional deleters win', async () => {
        const c = await store.create('/cas/del', 'v');
        const results = await Promise.allSettled(Array.from({ length: 50 }, () => store.delete('/cas/del', c.revision)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof KeyNotFoundError);
      });
    });

    describe('close', () => {
      it('finishes pending writes before closing', async () => {
        const writes = Array.from({ length: 100 }, (_, i) => store.create(`/close/${i}`, 'v'));
        await store.close();
        const results = await Promise.all(writes);
        assert.deepEqual(
          results.map((r) => r.revision),
          range(1, 100),
        );
      });

      it('fails every later call with StoreClosedError', async () => {
        await store.create('/close/a', 'v');
        const rec = new Recorder();
        store.watch('', 0, rec.onEvents);
        await store.close();
        await assert.rejects(store.get('/close/a'), StoreClosedError);
        await assert.rejects(store.list(''), StoreClosedError);
        await assert.rejects(store.count(''), StoreClosedError);
        await assert.rejects(store.create('/close/b', 'v'), StoreClosedError);
        await assert.rejects(store.update('/close/a', 'v', 1), StoreClosedError);
        await assert.rejects(store.delete('/close/a'), StoreClosedError);
        await assert.rejects(store.compact(1), StoreClosedError);
        assert.throws(() => store.watch('', 0, () => undefined), StoreClosedError);
      });
    });
  });
}

/** Collects watch events. */
class Recorder {
  readonly events: WatchEvent[] = [];
  readonly onEvents = (batch: readonly WatchEvent[]): void => {
    this.events.push(...batch);
  };

  revisions(): number[] {
    return this.events.map((e) => e.revision);
  }

  keys(): string[] {
    return this.events.map((e) => e.kv.key);
  }

  /** Resolves once an event with revision >= revision arrived; fails after WATCH_TIMEOUT_MS. */
  async until(revision: number): Promise<void> {
    const deadline = Date.now() + WATCH_TIMEOUT_MS;
    while ((this.events.at(-1)?.revision ?? 0) < revision) {
      if (Date.now() > deadline) {
        assert.fail(`watch: expected revision ${revision}, got up to ${this.events.at(-1)?.revision ?? 'none'}`);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** Lets pending deliveries happen (a few event loop turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** [from, to] inclusive. */
function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function keysOf(kvs: readonly KeyValue[], prefix: string): string[] {
  return kvs.filter((kv) => kv.key.startsWith(prefix)).map((kv) => kv.key);
}

/** Lists a prefix page by page (continuing after the last key), all pages at one revision. */
async function pageKeys(store: Store, prefix: string, limit: number, revision?: number): Promise<string[]> {
  const keys: string[] = [];
  let startKey: string | undefined;
  let rev = revision;
  for (;;) {
    const page = await store.list(prefix, { limit, startKey, revision: rev });
    rev = page.revision;
    keys.push(...page.kvs.map((kv) => kv.key));
    assert.ok(page.kvs.length <= limit);
    if (!page.more) return keys;
    startKey = `${keys[keys.length - 1]}\0`;
  }
}

/**
 * Performs `writes` deterministic pseudo-random creates, updates and deletes on a few keys under
 * /h/x/ and /h/y/, and returns the expected sorted state after each revision (index = revision).
 */
async function randomHistory(store: Store, writes: number): Promise<KeyValue[][]> {
  const keys = ['/h/x/1', '/h/x/2', '/h/x/3', '/h/x/30', '/h/y/1', '/h/y/2', '/h/xx'];
  const model = new Map<string, KeyValue>();
  const snapshots: KeyValue[][] = [[]];
  let seed = 0x5eed;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  while (store.currentRevision() < writes) {
    const key = keys[random(keys.length)];
    const current = model.get(key);
    let result: WriteResult;
    if (!current) {
      result = await store.create(key, `${key}@${store.currentRevision() + 1}`);
      model.set(key, result.kv);
    } else if (random(4) === 0) {
      result = await store.delete(key, current.modRevision);
      model.delete(key);
    } else {
      result = await store.update(key, `${key}@${store.currentRevision() + 1}`, current.modRevision);
      model.set(key, result.kv);
    }
    assert.equal(result.revision, snapshots.length);
    snapshots.push([...model.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  return snapshots;
}
