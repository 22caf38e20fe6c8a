import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isImageError } from './errors.js';
import { normalizeImageRef } from './reference.js';

const D = `sha256:${'a'.repeat(64)}`;

test('normalizeImageRef: Docker-style names', () => {
  const cases: [string, string, string, string][] = [
    ['busybox', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io', 'library/busybox', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['user/app:v1', 'docker.io', 'user/app', 'docker.io/user/app:v1'],
    ['docker.io/busybox', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['localhost/app', 'localhost', 'app', 'localhost/app:latest'],
    ['localhost:5000/x/y:t', 'localhost:5000', 'x/y', 'localhost:5000/x/y:t'],
    ['127.0.0.1:5000/x/y', '127.0.0.1:5000', 'x/y', '127.0.0.1:5000/x/y:latest'],
    ['ghcr.io/a-b/c_d.e', 'ghcr.io', 'a-b/c_d.e', 'ghcr.io/a-b/c_d.e:latest'],
    [`reg:5000/x/y@${D}`, 'reg:5000', 'x/y', `reg:5000/x/y@${D}`],
    [`busybox:1.36@${D}`, 'docker.io', 'library/busybox', `docker.io/library/busybox:1.36@${D}`],
  ];
  for (const [input, registry, repository, name] of cases) {
    const r = normalizeImageRef(input);
    assert.deepEqual([r.registry, r.repository, r.name], [registry, repository, name], input);
    assert.equal(r.repo, `${registry}/${repository}`);
  }
  assert.equal(normalizeImageRef(`x@${D}`).tag, undefined);
  assert.equal(normalizeImageRef(`x@${D}`).digest, D);
});

test('normalizeImageRef: invalid references are InvalidImageName, saying why', () => {
  for (const [bad, why] of [
    ['', /non-empty/],
    ['Busybox', /lowercase/],
    ['busybox:', /tag/],
    ['busybox:-x', /tag/],
    ['busybox@sha256:abc', /digest/],
    ['a//b', /path component/],
    ['busy box', /spaces|path component/],
    ['x/-y', /path component/],
  ] as const) {
    assert.throws(() => normalizeImageRef(bad), (e: unknown) => isImageError(e, 'InvalidImageName') && why.test(e.message), bad);
  }
});
