import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage, tarBuffer, writeDockerArchive, writeOciArchive } from './archive-writer.js';
import { busyboxVersion, writeBusyboxArchive } from './busybox-archive.js';
import { isImageError } from './errors.js';
import { ImageStore } from './image-store.js';

const skip = existsSync('/bin/busybox') ? false : 'needs /bin/busybox (Debian busybox-static)';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-images-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('docker-save and OCI archives of the busybox image import to the same image with a usable rootfs', { skip }, async (t) => {
  const dir = tempDir(t);
  const version = busyboxVersion();
  const docker = await writeBusyboxArchive(join(dir, 'busybox.tar'));
  const oci = await writeBusyboxArchive(join(dir, 'busybox-oci.tar.gz'), { format: 'oci', gzip: true });
  assert.equal(docker.id, oci.id);

  const store = await ImageStore.open(join(dir, 'store'));
  const [image] = await store.importArchive(join(dir, 'busybox.tar'));
  assert.equal(image.id, docker.id);
  assert.deepEqual(image.repoTags, [`docker.io/library/busybox:${version}`, 'docker.io/library/busybox:latest']);
  assert.deepEqual(image.config, { cmd: ['sh'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] });
  assert.ok(image.size > 1_000_000);

  const rootfs = store.rootfsPath(image.id);
  assert.equal(statSync(join(rootfs, 'bin/busybox')).mode & 0o777, 0o755);
  assert.equal(readlinkSync(join(rootfs, 'bin/sh')), '/bin/busybox');
  assert.match(readFileSync(join(rootfs, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);
  assert.match(readFileSync(join(rootfs, 'etc/group'), 'utf8'), /nobody:x:65534:/);
  assert.equal(statSync(join(rootfs, 'tmp')).mode & 0o7777, 0o1777);
  assert.ok(statSync(join(rootfs, 'var/www')).isDirectory());
  assert.ok(statSync(join(rootfs, 'root')).isDirectory());
  if (process.getuid?.() === 0) {
    assert.equal(execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'echo hello from $(basename $0)'], { encoding: 'utf8' }), 'hello from sh\n');
  }

  for (const ref of ['busybox', 'busybox:latest', `busybox:${version}`, 'library/busybox', 'docker.io/library/busybox:latest', image.id, image.id.slice(7, 19), `sha256:${image.id.slice(7, 15)}`]) {
    assert.equal(store.resolve(ref)?.id, image.id, ref);
  }
  for (const ref of ['busybox:9.9', 'alpine', 'sha256:ffff', 'Not A Ref']) assert.equal(store.resolve(ref), undefined, ref);

  const [again] = await store.importArchive(join(dir, 'busybox-oci.tar.gz'));
  assert.equal(again.id, image.id);
  assert.equal(again.repoDigests.length, 1);
  assert.match(again.repoDigests[0], /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
  assert.equal(store.list().length, 1);

  const reopened = await ImageStore.open(join(dir, 'store'));
  assert.deepEqual(reopened.list(), store.list(), 'the index is persisted');
});

test('tags move between images; remove untags, then deletes the image, its rootfs and its blobs', async (t) => {
  const dir = tempDir(t);
  const mk = async (text: string) => buildImage({ layers: [await tarBuffer([{ name: 'id', content: text }])], config: { Cmd: [text] }, gzip: false, mediaTypes: 'docker' });
  const one = await mk('one');
  const two = await mk('two');
  await writeDockerArchive(join(dir, 'both.tar'), [
    { image: one, tags: ['app:v1', 'app:latest'] },
    { image: two, tags: ['other:v2'] },
  ]);
  const store = await ImageStore.open(join(dir, 'store'));
  const other = await ImageStore.open(join(dir, 'store')); // e.g. `skiff image` beside the node
  const imported = await store.importArchive(join(dir, 'both.tar'));
  assert.deepEqual(imported.map((i) => i.id), [one.config.digest, two.config.digest]);
  assert.equal(other.resolve('app')?.id, one.config.digest, 'another store on the same dir sees the change');

  await writeOciArchive(join(dir, 'retag.tar'), [{ image: two, tags: ['docker.io/library/app:latest'] }]);
  await other.importArchive(join(dir, 'retag.tar'));
  assert.equal(store.resolve('app:latest')?.id, two.config.digest, 'the tag moved');
  assert.deepEqual(store.resolve('app:v1')?.repoTags, ['docker.io/library/app:v1']);

  const oneRootfs = store.rootfsPath(one.config.digest);
  const blobCount = () => readdirSync(join(dir, 'store/blobs/sha256')).length;
  const before = blobCount();
  assert.deepEqual(await store.remove('app:v1'), { untagged: ['docker.io/library/app:v1'], deleted: one.config.digest });
  assert.equal(existsSync(oneRootfs), false);
  assert.equal(blobCount(), before - 2, 'the config and layer of the deleted image are gone');
  assert.equal(store.resolve(one.config.digest), undefined);

  const r = await store.remove('other:v2');
  assert.deepEqual(r, { untagged: ['docker.io/library/other:v2'] }, 'the image keeps its other tag');
  await store.remove(two.config.digest.slice(7, 19));
  assert.deepEqual(store.list(), []);
  assert.equal(blobCount(), 0);
  await assert.rejects(store.remove('app'), (e: unknown) => isImageError(e, 'ImageNotFound'));
});

test('an archive whose blob does not match its digest is refused and leaves nothing behind', async (t) => {
  const dir = tempDir(t);
  const image = buildImage({ layers: [await tarBuffer([{ name: 'f', content: 'x' }])], config: {} });
  const forged = { ...image, layers: [{ ...image.layers[0], data: Buffer.from('tampered') }] };
  await writeOciArchive(join(dir, 'bad.tar'), [{ image: forged, tags: ['bad:1'] }]);
  const store = await ImageStore.open(join(dir, 'store'));
  await assert.rejects(store.importArchive(join(dir, 'bad.tar')), (e: unknown) => {
    assert.ok(isImageError(e, 'DigestMismatch'), String(e));
    assert.match(e.message, /bad\.tar.*expected sha256:/);
    return true;
  });
  assert.deepEqual(store.list(), []);
  assert.deepEqual(readdirSync(join(dir, 'store/blobs/sha256')), []);
  await assert.rejects(store.importArchive(join(dir, 'nope.tar')), /no such file/);
});

test('Docker 25+ archives (manifest.json naming OCI blobs, symlinked layers) and parallel imports from two store instances', async (t) => {
  const dir = tempDir(t);
  const image = buildImage({ layers: [await tarBuffer([{ name: 'etc/os-release', content: 'ID=test\n' }])], config: { Entrypoint: ['/bin/app'], WorkingDir: '/srv', User: '65534' } });
  const hex = (d: string) => d.slice('sha256:'.length);
  const layerPath = `blobs/sha256/${hex(image.layers[0].digest)}`;
  const archive = await tarBuffer([
    { name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { name: `blobs/sha256/${hex(image.config.digest)}`, content: image.config.data },
    { name: layerPath, content: image.layers[0].data },
    { name: `blobs/sha256/${hex(image.manifest.digest)}`, content: image.manifest.data },
    { name: 'legacy/layer.tar', type: 'symlink', linkname: `../${layerPath}` },
    { name: 'index.json', content: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.data.length }] }) },
    { name: 'manifest.json', content: JSON.stringify([{ Config: `blobs/sha256/${hex(image.config.digest)}`, RepoTags: ['example.com:5000/team/app:2'], Layers: ['legacy/layer.tar'] }]) },
  ]);
  writeFileSync(join(dir, 'new-docker.tar'), archive);
  const other = buildImage({ layers: [await tarBuffer([{ name: 'x', content: 'other' }])], config: {} });
  await writeDockerArchive(join(dir, 'other.tar.gz'), [{ image: other, tags: ['other:1'] }], { gzip: true });

  const a = await ImageStore.open(join(dir, 'store'));
  const b = await ImageStore.open(join(dir, 'store'));
  await Promise.all([a.importArchive(join(dir, 'new-docker.tar')), b.importArchive(join(dir, 'other.tar.gz'))]);
  const reopened = await ImageStore.open(join(dir, 'store'));
  assert.deepEqual(reopened.list().flatMap((i) => i.repoTags).sort(), ['docker.io/library/other:1', 'example.com:5000/team/app:2'], 'no import was lost');
  assert.deepEqual(reopened.resolve('example.com:5000/team/app:2')?.config, { entrypoint: ['/bin/app'], workingDir: '/srv', user: '65534' });
  assert.equal(readFileSync(join(reopened.rootfsPath(image.config.digest), 'etc/os-release'), 'utf8'), 'ID=test\n');
});
