import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { BlobStore, sha256Digest } from './blob-store.js';
import { isImageError } from './errors.js';

function tempBlobs(t: { after(fn: () => void): void }): BlobStore {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-blobs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new BlobStore(dir);
}

test('blobs are stored by digest and verified on write', async (t) => {
  const blobs = tempBlobs(t);
  const data = Buffer.from('hello layer');
  const digest = sha256Digest(data);
  assert.deepEqual(await blobs.write(Readable.from([data]), digest), { digest, size: data.length });
  assert.ok(blobs.has(digest));
  assert.equal(blobs.read(digest).toString(), 'hello layer');
  assert.equal(blobs.path(digest), join(blobs.dir, 'sha256', digest.slice(7)));
  // without an expected digest the content names itself
  assert.equal((await blobs.write(Readable.from([Buffer.from('x')]))).digest, sha256Digest('x'));
});

test('a blob whose content does not match its digest is refused and not stored', async (t) => {
  const blobs = tempBlobs(t);
  const claimed = sha256Digest('what the manifest says');
  await assert.rejects(blobs.write(Readable.from([Buffer.from('something else')]), claimed), (e: unknown) => {
    assert.ok(isImageError(e, 'DigestMismatch'));
    assert.match(e.message, new RegExp(`expected ${claimed}, content hashes to ${sha256Digest('something else')}`));
    return true;
  });
  assert.throws(() => blobs.writeBuffer(Buffer.from('other'), claimed), (e: unknown) => isImageError(e, 'DigestMismatch'));
  assert.equal(existsSync(blobs.path(claimed)), false);
  assert.deepEqual(readdirSync(join(blobs.dir, 'tmp')), [], 'no temporary file is left behind');
  assert.throws(() => blobs.path('md5:abc'), (e: unknown) => isImageError(e, 'ImageInspectError'));
});
