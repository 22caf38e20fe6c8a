import { strict as assert } from 'node:assert';
import { lstat, mkdtemp, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PayloadFile } from './atomic-writer.js';
import { DATA_DIR_NAME, validatePayloadPath, writeAtomically } from './atomic-writer.js';

const file = (s: string, mode = 0o644): PayloadFile => ({ data: Buffer.from(s), mode });

test('atomic writer: ..data link to a timestamped dir, user links, updates swap at once, stale names go', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-aw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const vol = join(dir, 'vol');
  assert.equal(await writeAtomically(vol, new Map([['a', file('1')], ['sub/b.txt', file('2', 0o600)]])), true);
  const first = await readlink(join(vol, DATA_DIR_NAME));
  assert.match(first, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d{9}$/);
  assert.equal(await readlink(join(vol, 'a')), '..data/a');
  assert.equal(await readlink(join(vol, 'sub')), '..data/sub');
  assert.equal(await readFile(join(vol, 'a'), 'utf8'), '1');
  assert.equal(await readFile(join(vol, 'sub/b.txt'), 'utf8'), '2');
  assert.equal((await stat(join(vol, 'sub/b.txt'))).mode & 0o777, 0o600);

  // An open view through the old version keeps working while the new one appears at once.
  const oldReal = await realpath(join(vol, 'a'));
  assert.equal(await writeAtomically(vol, new Map([['a', file('1')], ['sub/b.txt', file('2', 0o600)]])), false, 'unchanged: nothing written');
  assert.equal(await readlink(join(vol, DATA_DIR_NAME)), first);

  assert.equal(await writeAtomically(vol, new Map([['a', file('updated')], ['c', file('3')]])), true);
  const second = await readlink(join(vol, DATA_DIR_NAME));
  assert.notEqual(second, first);
  assert.equal(await readFile(join(vol, 'a'), 'utf8'), 'updated');
  assert.equal(await readFile(join(vol, 'c'), 'utf8'), '3');
  await assert.rejects(lstat(join(vol, 'sub')), 'a name no longer in the payload is removed');
  await assert.rejects(lstat(oldReal), 'the previous version is removed');
  assert.deepEqual((await readdir(vol)).sort(), [second, '..data', 'a', 'c'].sort());
});

test('atomic writer: payload paths are checked', () => {
  assert.throws(() => validatePayloadPath('/abs'), /must be relative/);
  assert.throws(() => validatePayloadPath('a/../b'), /must not contain '\.\.'/);
  assert.throws(() => validatePayloadPath('..x'), /must not start with '\.\.'/);
  validatePayloadPath('a/b.c');
});
