import { strict as assert } from 'node:assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { applyLayerFile } from './apply-layer.js';
import { tarBuffer, type TarFile } from './archive-writer.js';
import { sha256Digest } from './blob-store.js';
import { isImageError } from './errors.js';

const asRoot = process.getuid?.() === 0;

/** A scratch dir holding `root/` (the rootfs) and `outside/` (must stay untouched). */
function scratch(t: { after(fn: () => void): void }): { root: string; outside: string; layer: (files: TarFile[], gzip?: boolean) => Promise<string> } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-layer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'a', 'b', 'root');
  const outside = join(dir, 'outside');
  mkdirSync(root, { recursive: true });
  mkdirSync(outside);
  let n = 0;
  return {
    root,
    outside,
    layer: async (files, gzip = false) => {
      const data = await tarBuffer(files);
      const p = join(dir, `layer-${n++}.tar`);
      writeFileSync(p, gzip ? gzipSync(data) : data);
      return p;
    },
  };
}

test('layers: later entries replace earlier ones, whiteouts and opaque directories hide lower layers', async (t) => {
  const { root, layer } = scratch(t);
  await applyLayerFile(root, await layer([
    { name: 'a/', type: 'directory' }, { name: 'a/f1', content: '1' }, { name: 'a/sub/', type: 'directory' }, { name: 'a/sub/g', content: 'g' },
    { name: 'b/', type: 'directory' }, { name: 'b/x', content: 'x' }, { name: 'b/y', content: 'y' },
    { name: 'c', content: 'c' }, { name: 'keep/', type: 'directory' }, { name: 'keep/k', content: 'k' },
    { name: 'd/', type: 'directory' }, { name: 'd/inner', content: 'i' }, { name: 'e', content: 'file' },
  ]));
  await applyLayerFile(root, await layer([
    { name: 'a/.wh..wh..opq' }, { name: 'a/new', content: 'new' },
    { name: 'b/.wh.x' },
    { name: '.wh.c' },
    { name: 'keep/newk', content: 'nk' }, { name: 'keep/.wh..wh..opq' }, // opaque marker after this layer's own entry
    { name: 'b/y', content: 'y2' },
    { name: 'd', content: 'now a file' }, // a file replaces a directory
    { name: 'e/', type: 'directory' }, // and a directory a file
    { name: '.wh.missing' }, // whiteout of nothing: fine
  ], true));
  assert.deepEqual(readdirSync(join(root, 'a')), ['new']);
  assert.deepEqual(readdirSync(join(root, 'b')), ['y']);
  assert.equal(readFileSync(join(root, 'b/y'), 'utf8'), 'y2');
  assert.equal(existsSync(join(root, 'c')), false);
  assert.deepEqual(readdirSync(join(root, 'keep')), ['newk']);
  assert.equal(readFileSync(join(root, 'd'), 'utf8'), 'now a file');
  assert.ok(statSync(join(root, 'e')).isDirectory());
  assert.equal(readdirSync(root).some((n) => n.startsWith('.wh.')), false, 'whiteout files are not written');
});

test('layers: symlinks, hardlinks, modes and owners', async (t) => {
  const { root, layer } = scratch(t);
  await applyLayerFile(root, await layer([
    { name: 'bin/', type: 'directory' },
    { name: 'bin/tool', content: '#!/bin/sh\n', mode: 0o4755, uid: 1000, gid: 2000 },
    { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
    { name: 'bin/abs', type: 'symlink', linkname: '/bin/tool' },
    { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'ro/', type: 'directory', mode: 0o555 },
    { name: 'ro/inside', content: 'still written' },
    { name: './etc/conf', content: 'leading ./ is fine' },
  ]));
  assert.equal(readlinkSync(join(root, 'bin/alias')), 'tool');
  assert.equal(readlinkSync(join(root, 'bin/abs')), '/bin/tool');
  assert.equal(statSync(join(root, 'bin/hard')).ino, statSync(join(root, 'bin/tool')).ino);
  assert.equal(statSync(join(root, 'tmp')).mode & 0o7777, 0o1777);
  assert.equal(statSync(join(root, 'ro')).mode & 0o7777, 0o555);
  assert.equal(readFileSync(join(root, 'ro/inside'), 'utf8'), 'still written');
  assert.equal(readFileSync(join(root, 'etc/conf'), 'utf8'), 'leading ./ is fine');
  const tool = statSync(join(root, 'bin/tool'));
  assert.equal(tool.mode & 0o7777, 0o4755);
  if (asRoot) assert.deepEqual([tool.uid, tool.gid], [1000, 2000]);
});

test('layers: entries that would write outside the root are refused', async (t) => {
  const { root, outside, layer } = scratch(t);
  const refused = async (files: TarFile[], what: string) =>
    assert.rejects(applyLayerFile(root, await layer(files)), (e: unknown) => isImageError(e, 'ImageInspectError') && /outside the image root|not an existing file/.test(e.message), what);

  await refused([{ name: '../../../outside/evil', content: 'x' }], 'path traversal');
  await refused([{ name: 'a/../../../../outside/evil2', content: 'x' }], 'path traversal inside a name');
  const climb = '../'.repeat(3) + 'outside';
  await refused([{ name: 'esc', type: 'symlink', linkname: climb }, { name: 'esc/evil3', content: 'x' }], 'write through a symlink leaving the root');
  await refused([{ name: 'esc2', type: 'symlink', linkname: `sub/../${climb}` }, { name: 'esc2/deeper/evil4', content: 'x' }], 'mkdir through a symlink leaving the root');
  await refused([{ name: 'hl', type: 'link', linkname: '../../../outside/secret' }], 'hardlink to outside');
  await refused([{ name: 'x/.wh...', content: '' }], 'whiteout of ..');
  assert.deepEqual(readdirSync(outside), [], 'nothing was written outside the root');

  // an absolute symlink is followed inside the root, as the container will see it
  writeFileSync(join(outside, 'victim'), 'unchanged');
  await applyLayerFile(root, await layer([
    { name: 'abs', type: 'symlink', linkname: outside },
    { name: 'abs/victim', content: 'written inside the root' },
    { name: 'rel', type: 'symlink', linkname: `${climb}/victim` },
    { name: 'rel', content: 'replaces the symlink, does not follow it' },
  ]));
  assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'unchanged');
  assert.deepEqual(readdirSync(outside), ['victim']);
  assert.equal(readFileSync(join(root, outside, 'victim'), 'utf8'), 'written inside the root');
  assert.ok(lstatSync(join(root, 'rel')).isFile());
});

test('layers: the uncompressed content must match the diff_id', async (t) => {
  const { root, layer } = scratch(t);
  const files: TarFile[] = [{ name: 'f', content: 'x' }];
  const good = sha256Digest(await tarBuffer(files));
  await applyLayerFile(root, await layer(files, true), { diffId: good });
  await assert.rejects(applyLayerFile(root, await layer(files, true), { diffId: sha256Digest('other') }), (e: unknown) => isImageError(e, 'DigestMismatch'));
  await assert.rejects(applyLayerFile(root, await layer([{ name: 'x', content: 'y' }]).then((p) => (writeFileSync(p, 'not a tar at all, just text that is long enough '.repeat(20)), p))), (e: unknown) => isImageError(e));
});
