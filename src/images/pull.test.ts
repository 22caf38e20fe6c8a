// Pulls from a real distribution registry (Debian's docker-registry) on loopback: by tag and by
// digest, from an index with amd64 and arm64 images, registry errors, and basic auth.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { buildImage, tarBuffer } from './archive-writer.js';
import { buildBusyboxImage } from './busybox-archive.js';
import { isImageError } from './errors.js';
import { DOCKER_MANIFEST_LIST } from './media-types.js';
import { ImageStore } from './image-store.js';
import { pushImage, pushIndex, registryAvailable, startRegistry, startTokenServer } from './testing.js';

const skip = registryAvailable() ? (existsSync('/bin/busybox') ? false : 'needs /bin/busybox') : 'needs /usr/bin/docker-registry';

async function tempStore(t: { after(fn: () => void): void }): Promise<ImageStore> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pull-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return ImageStore.open(dir);
}

test('pull from a loopback registry: by tag, by digest, index picks linux/amd64, registry errors', { skip }, async (t) => {
  const registry = await startRegistry();
  t.after(() => registry.stop());
  const { image } = await buildBusyboxImage({ format: 'oci' });
  await pushImage({ host: registry.host, repository: 'library/busybox' }, image, '1.35.0');

  const store = await tempStore(t);
  const pulled = await store.pull(`${registry.host}/library/busybox:1.35.0`);
  assert.equal(pulled.id, image.config.digest);
  assert.deepEqual(pulled.repoTags, [`${registry.host}/library/busybox:1.35.0`]);
  assert.deepEqual(pulled.repoDigests, [`${registry.host}/library/busybox@${image.manifest.digest}`]);
  assert.deepEqual(pulled.config.cmd, ['sh']);
  assert.ok(existsSync(join(store.rootfsPath(pulled.id), 'bin', 'busybox')));
  assert.equal(store.resolve(`${registry.host}/library/busybox@${image.manifest.digest}`)?.id, pulled.id);

  // an index with an arm64 and an amd64 image (different configs): amd64 is chosen
  const layer = await tarBuffer([{ name: 'hello', content: 'arm64\n' }]);
  const arm = buildImage({ layers: [layer], config: { Cmd: ['arm'] }, architecture: 'arm64' });
  const amd = buildImage({ layers: [await tarBuffer([{ name: 'hello', content: 'amd64\n' }])], config: { Cmd: ['amd'] }, architecture: 'amd64' });
  const index = await pushIndex({ host: registry.host, repository: 'multi/arch' }, [arm, amd], 'v1');
  // the same as a Docker manifest list of Docker schema 2 manifests
  const dockerArm = buildImage({ layers: [layer], config: { Cmd: ['arm'] }, architecture: 'arm64', mediaTypes: 'docker' });
  const dockerAmd = buildImage({ layers: [layer], config: { Cmd: ['docker-amd'] }, architecture: 'amd64', mediaTypes: 'docker' });
  await pushIndex({ host: registry.host, repository: 'multi/docker' }, [dockerArm, dockerAmd], 'v1', DOCKER_MANIFEST_LIST);
  assert.equal((await store.pull(`${registry.host}/multi/docker:v1`)).id, dockerAmd.config.digest);
  const multi = await store.pull(`${registry.host}/multi/arch:v1`);
  assert.equal(multi.id, amd.config.digest);
  assert.deepEqual(multi.config.cmd, ['amd']);
  assert.deepEqual(multi.repoDigests, [`${registry.host}/multi/arch@${index.digest}`]);

  const byDigest = await (await tempStore(t)).pull(`${registry.host}/multi/arch@${arm.manifest.digest}`);
  assert.equal(byDigest.id, arm.config.digest, 'a digest names exactly one manifest, whatever its platform');
  assert.deepEqual(byDigest.repoTags, []);

  await pushIndex({ host: registry.host, repository: 'multi/arch' }, [arm], 'arm-only');
  await assert.rejects(store.pull(`${registry.host}/multi/arch:arm-only`), /no matching manifest for linux\/amd64/);
  await assert.rejects(store.pull(`${registry.host}/library/busybox:nope`), (e: unknown) => {
    assert.ok(isImageError(e, 'ErrImagePull'), String(e));
    assert.match(e.message, /manifest unknown/);
    return true;
  });
  await assert.rejects(store.pull(`${registry.host}/Upper/Case`), (e: unknown) => isImageError(e, 'InvalidImageName'));
  await registry.stop();
  await assert.rejects(store.pull(`${registry.host}/library/busybox:1.35.0`), (e: unknown) => {
    assert.ok(isImageError(e, 'ErrImagePull'));
    assert.match(e.message, /ECONNREFUSED/);
    return true;
  });
});

test('pull from a registry with basic auth (htpasswd)', { skip }, async (t) => {
  const htpasswd = `skiff:${bcrypt.hashSync('s3cret', 4)}\n`;
  const registry = await startRegistry({ htpasswd });
  t.after(() => registry.stop());
  const image = buildImage({ layers: [await tarBuffer([{ name: 'etc/motd', content: 'private\n' }])], config: { Cmd: ['true'] } });
  const authorization = `Basic ${Buffer.from('skiff:s3cret').toString('base64')}`;
  await pushImage({ host: registry.host, repository: 'private/app', authorization }, image, 'v1');

  const store = await tempStore(t);
  await assert.rejects(store.pull(`${registry.host}/private/app:v1`), (e: unknown) => {
    assert.ok(isImageError(e, 'ErrImagePull'));
    assert.match(e.message, /unauthorized/);
    return true;
  });
  await assert.rejects(store.pull(`${registry.host}/private/app:v1`, { auth: { username: 'skiff', password: 'wrong' } }), /unauthorized/);
  const pulled = await store.pull(`${registry.host}/private/app:v1`, { auth: { username: 'skiff', password: 's3cret' } });
  assert.equal(pulled.id, image.config.digest);
});

test('pull from a registry with bearer-token auth: anonymous and with username/password', { skip }, async (t) => {
  const tokens = await startTokenServer({ skiff: 's3cret' });
  t.after(() => tokens.stop());
  const registry = await startRegistry({ token: tokens });
  t.after(() => registry.stop());
  const image = buildImage({ layers: [await tarBuffer([{ name: 'hello', content: 'token\n' }])], config: { Cmd: ['hi'] } });
  for (const repository of ['public/app', 'private/app']) {
    await pushImage({ host: registry.host, repository, authorization: `Bearer ${tokens.token(`repository:${repository}:pull,push`, 'skiff')}` }, image, 'v1');
  }
  const store = await tempStore(t);
  assert.equal((await store.pull(`${registry.host}/public/app:v1`)).id, image.config.digest);
  assert.ok(tokens.requests.some((r) => r.user === 'anonymous' && r.scope === 'repository:public/app:pull'));

  await assert.rejects(store.pull(`${registry.host}/private/app:v1`), (e: unknown) => {
    assert.ok(isImageError(e, 'ErrImagePull'));
    assert.match(e.message, /unauthorized|denied/);
    return true;
  });
  await assert.rejects(store.pull(`${registry.host}/private/app:v1`, { auth: { username: 'skiff', password: 'nope' } }), /unauthorized: token request .* failed/);
  const pulled = await store.pull(`${registry.host}/private/app:v1`, { auth: { username: 'skiff', password: 's3cret' } });
  assert.ok(pulled.repoTags.includes(`${registry.host}/private/app:v1`));
  assert.ok(tokens.requests.some((r) => r.user === 'skiff' && r.scope === 'repository:private/app:pull'));
});
