import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withFileLock } from './store-lock.js';

test('the index lock serialises holders and is taken over from a dead or silent owner', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'index.lock');
  const order: string[] = [];
  await Promise.all([
    withFileLock(lock, async () => {
      order.push('a-in');
      await new Promise((r) => setTimeout(r, 50));
      order.push('a-out');
    }),
    withFileLock(lock, () => order.push('b')),
  ]);
  assert.deepEqual(order, ['a-in', 'a-out', 'b']);
  assert.equal(existsSync(lock), false);

  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  writeFileSync(lock, dead);
  assert.equal(await withFileLock(lock, () => 'taken over from a dead pid'), 'taken over from a dead pid');
  writeFileSync(lock, '');
  utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  assert.equal(await withFileLock(lock, () => 'taken over from an empty lock'), 'taken over from an empty lock');
});
