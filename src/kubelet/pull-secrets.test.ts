import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { credentialsFor, imageRepository } from './pull-secrets.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dockerconfigjson = (auths: Record<string, unknown>): Secret => ({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } });

test('imageRepository normalises Docker-style names', () => {
  assert.deepEqual(imageRepository('busybox'), { registry: 'docker.io', path: 'library/busybox' });
  assert.deepEqual(imageRepository('index.docker.io/me/app:1'), { registry: 'docker.io', path: 'me/app' });
  assert.deepEqual(imageRepository('127.0.0.1:5000/team/app@sha256:abc'), { registry: '127.0.0.1:5000', path: 'team/app' });
  assert.deepEqual(imageRepository('localhost/app:2'), { registry: 'localhost', path: 'app' });
});

test('credentials match the registry (Docker Hub aliases too), the longest path prefix wins, auth is decoded', () => {
  const secrets = [
    dockerconfigjson({ 'https://index.docker.io/v1/': { auth: b64('hub:secret') } }),
    dockerconfigjson({ '127.0.0.1:5000': { username: 'any', password: 'p1' }, '127.0.0.1:5000/team': { username: 'team', password: 'p2' } }),
  ];
  assert.deepEqual(credentialsFor('busybox:1.35.0', secrets), { username: 'hub', password: 'secret' });
  assert.deepEqual(credentialsFor('127.0.0.1:5000/team/app:1', secrets), { username: 'team', password: 'p2' });
  assert.deepEqual(credentialsFor('127.0.0.1:5000/teamx/app:1', secrets), { username: 'any', password: 'p1' });
  assert.equal(credentialsFor('quay.io/x/y', secrets), undefined);
});

test('legacy .dockercfg, identity tokens, and malformed secrets', () => {
  const legacy: Secret = { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'reg.example': { identitytoken: 'tok' } })) } };
  assert.deepEqual(credentialsFor('reg.example/app', [legacy]), { identityToken: 'tok' });
  const broken: Secret = { data: { '.dockerconfigjson': b64('{not json') } };
  assert.equal(credentialsFor('reg.example/app', [broken]), undefined);
});
