import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { canonicalJson, computeHash, safeEncode } from './hash.js';
import type { PodTemplateSpec } from './objects.js';

const template: PodTemplateSpec = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };

test('computeHash: short, lowercase, safe alphabet, stable', () => {
  const h = computeHash(template);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(structuredClone(template)), h, 'equal templates, equal hashes');
  const reordered: PodTemplateSpec = { spec: { containers: [{ image: 'nginx:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } };
  assert.equal(computeHash(reordered), h, 'key order does not matter');
  const withNull = { ...template, metadata: { ...template.metadata, annotations: null } } as unknown as PodTemplateSpec;
  assert.equal(computeHash(withNull), h, 'null members do not matter');
});

test('computeHash: a changed template or collisionCount changes the hash', () => {
  const h = computeHash(template);
  const other = computeHash({ ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } });
  assert.notEqual(other, h);
  assert.notEqual(computeHash(template, 0), h, 'collisionCount 0 differs from none, as in Kubernetes');
  assert.notEqual(computeHash(template, 1), computeHash(template, 0));
  assert.equal(computeHash(template, 1), computeHash(template, 1));
});

test('safeEncode and canonicalJson', () => {
  assert.equal(safeEncode('0123456789'), '456789bcdf');
  assert.equal(canonicalJson({ b: 1, a: [null, { d: undefined, c: 'x' }], e: null }), '{"a":[null,{"c":"x"}],"b":1}');
});
