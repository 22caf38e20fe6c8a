import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeForStorage, withResourceVersion, withResourceVersionPieces } from './codec.js';

test('withResourceVersionPieces, written one after the other, are withResourceVersion', () => {
  const stored = [
    encodeForStorage({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', resourceVersion: '3', labels: { 'metadata"x': '{' } }, spec: {} }),
    encodeForStorage({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { a: '"metadata":{' } }),
    '{"not":"laid out by encodeForStorage"}',
  ];
  for (const s of stored) {
    const joined = withResourceVersionPieces(s, 42).join('');
    assert.equal(joined, withResourceVersion(s, 42));
    if (s.includes('"metadata":{')) assert.equal((JSON.parse(joined) as { metadata: { resourceVersion: string } }).metadata.resourceVersion, '42');
  }
});
