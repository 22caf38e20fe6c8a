import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from './exec-file.js';
import { markTopDirs } from './top-dirs.js';

function tempDir(t: { after(f: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-top-dirs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The file attributes lsattr shows for a directory ('' when lsattr cannot read them). */
function attributes(dir: string): string {
  try {
    return execFileSync('lsattr', ['-d', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(/\s+/)[0] ?? '';
  } catch {
    return '';
  }
}

const ext = (() => {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', tmpdir()], { encoding: 'utf8' }).trim() === 'ext2/ext3';
  } catch {
    return false;
  }
})();

test('the directories get the top-of-hierarchy attribute on ext2/3/4', { skip: !ext || process.getuid?.() !== 0 ? 'needs root and an ext filesystem for the temp dir' : false }, async (t) => {
  const dir = tempDir(t);
  const a = join(dir, 'sandboxes');
  const b = join(dir, 'containers');
  mkdirSync(a);
  mkdirSync(b);
  assert.ok(!attributes(a).includes('T'));
  assert.equal(await markTopDirs([a, b], run), undefined);
  assert.ok(attributes(a).includes('T'), attributes(a));
  assert.ok(attributes(b).includes('T'), attributes(b));
});

test('a failure is reported as text, never thrown', async (t) => {
  const missing = join(tempDir(t), 'missing');
  const failed = await markTopDirs([missing], run);
  assert.equal(typeof failed, 'string');
  assert.match(failed!, /chattr/);
});

test('no directories: no program is started', async () => {
  assert.equal(
    await markTopDirs([], async () => {
      throw new Error('started a program');
    }),
    undefined,
  );
});
