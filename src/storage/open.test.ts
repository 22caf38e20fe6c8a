import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryStore } from './memory.js';
import { openStore, registerStoreDriver } from './open.js';
import { SqliteStore } from './sqlite.js';

describe('openStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-open-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opens a memory store for memory://', async () => {
    const store = await openStore('memory://');
    assert.ok(store instanceof MemoryStore);
    await store.close();
  });

  it('opens a sqlite store for sqlite:///absolute/path and for a plain path', async () => {
    const path = join(dir, 'nested', 'state.db');
    const byUrl = await openStore(`sqlite://${path}`);
    assert.ok(byUrl instanceof SqliteStore);
    assert.equal(byUrl.path, path);
    await byUrl.create('/k', 'v');
    await byUrl.close();
    const byPath = await openStore(path);
    assert.ok(byPath instanceof SqliteStore);
    assert.equal(byPath.currentRevision(), 1);
    await byPath.close();
  });

  it('refuses unknown schemes and sqlite URLs with a host', async () => {
    await assert.rejects(openStore('postgres://db/skiff'), /unknown scheme "postgres", expected one of memory:\/\/, sqlite:\/\//);
    await assert.rejects(openStore('sqlite://relative/state.db'), /expected sqlite:\/\/\/absolute\/path/);
    await assert.rejects(openStore(`sqlite://${join(dir, 'x.db')}?_journal=WAL`), /no host, no options/);
    await assert.rejects(openStore(''), /expected memory:\/\/, sqlite:\/\/\/path or a file path/);
  });

  it('opens registered drivers by scheme', async () => {
    registerStoreDriver('test-driver', async () => new MemoryStore());
    const store = await openStore('test-driver://anything');
    assert.ok(store instanceof MemoryStore);
    await store.close();
  });
});
