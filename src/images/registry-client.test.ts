import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { challengeParams, registryHost, registryScheme } from './registry-client.js';

test('registry host and scheme: Docker Hub API host; plain HTTP only for loopback and insecure registries', () => {
  assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
  assert.equal(registryHost('ghcr.io'), 'ghcr.io');
  for (const r of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.9.8.7', '[::1]:5000']) assert.equal(registryScheme(r), 'http', r);
  for (const r of ['docker.io', 'ghcr.io', '10.0.0.5:5000', '128.0.0.1:5000', 'localhost.example.com']) assert.equal(registryScheme(r), 'https', r);
  assert.equal(registryScheme('10.0.0.5:5000', ['10.0.0.5:5000']), 'http');
  assert.equal(registryScheme('reg.lan:5000', ['reg.lan']), 'http');
  assert.equal(registryScheme('reg.lan:5000', ['reg.lan:6000']), 'https');
});

test('WWW-Authenticate parameters', () => {
  assert.deepEqual(challengeParams(' realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), {
    realm: 'https://auth.docker.io/token',
    service: 'registry.docker.io',
    scope: 'repository:library/busybox:pull',
  });
  assert.deepEqual(challengeParams(' realm="a \\"quoted\\" realm", error=insufficient_scope'), { realm: 'a "quoted" realm', error: 'insufficient_scope' });
});
