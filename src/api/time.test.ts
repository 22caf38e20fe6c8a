import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rfc3339 } from './time.js';

test('rfc3339: whole seconds in UTC, from milliseconds or a Date, the kept second never reused for another', () => {
  const t = Date.parse('2024-05-01T12:00:00.999Z');
  assert.equal(rfc3339(t), '2024-05-01T12:00:00Z');
  assert.equal(rfc3339(new Date(t)), '2024-05-01T12:00:00Z');
  assert.equal(rfc3339(t + 1), '2024-05-01T12:00:01Z');
  assert.equal(rfc3339(new Date('1969-12-31T23:59:59.500Z')), '1969-12-31T23:59:59Z');
  assert.equal(rfc3339(t - 999), '2024-05-01T12:00:00Z');
});
