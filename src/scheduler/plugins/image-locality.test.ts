import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { snapshotOf } from '../cache.js';
import { makeNode, makePod, runScore } from '../testing.js';
import { MAX_CONTAINER_THRESHOLD, MIN_THRESHOLD, newImageLocality, normalizedImageName, scoreForSize } from './image-locality.js';

const MB = 1024 * 1024;

test('normalizedImageName adds :latest only when there is no tag', () => {
  assert.equal(normalizedImageName('nginx'), 'nginx:latest');
  assert.equal(normalizedImageName('nginx:1.25'), 'nginx:1.25');
  assert.equal(normalizedImageName('localhost:5000/app'), 'localhost:5000/app:latest');
});

test('scoreForSize clamps between the thresholds', () => {
  assert.equal(scoreForSize(0, 1), 0);
  assert.equal(scoreForSize(MIN_THRESHOLD, 1), 0);
  assert.equal(scoreForSize(MAX_CONTAINER_THRESHOLD * 2, 1), 100);
  assert.equal(scoreForSize((MIN_THRESHOLD + MAX_CONTAINER_THRESHOLD) / 2, 1), 50);
});

test('ImageLocality prefers nodes holding the images, scaled by spread', () => {
  const big = { names: ['registry.example/app:1'], sizeBytes: 500 * MB };
  const snapshot = snapshotOf([makeNode('has', { images: [big] }), makeNode('also', { images: [big] }), makeNode('none'), makeNode('none2')]);
  const plugin = newImageLocality({ cluster: {} }, undefined);
  // 500MB * (2 of 4 nodes) = 250MB → (250-23)/(1000-23)*100 = 23
  assert.deepEqual(runScore(plugin, makePod('p', { image: 'registry.example/app:1' }), snapshot), { has: 23, also: 23, none: 0, none2: 0 });
  assert.equal(runScore(plugin, makePod('p', { image: 'other:2' }), snapshot), 'skip');
});
