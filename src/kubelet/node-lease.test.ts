import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MIN_NODE_LEASE_RENEW_INTERVAL_MS, NODE_LEASE_RENEW_INTERVAL_MS, leaseRenewIntervalFor, microTime } from './node-lease.js';

test('leaseRenewIntervalFor: 10 s for the default 50 s grace, a quarter of a shorter grace, never below the minimum', () => {
  assert.equal(leaseRenewIntervalFor(50_000), NODE_LEASE_RENEW_INTERVAL_MS);
  assert.equal(leaseRenewIntervalFor(40_000), 10_000);
  assert.equal(leaseRenewIntervalFor(4_000), 1_000);
  assert.equal(leaseRenewIntervalFor(100), MIN_NODE_LEASE_RENEW_INTERVAL_MS);
  // A healthy node renews at least 4 times within any grace period of a second or more.
  for (const grace of [1_000, 4_000, 9_999, 50_000, 300_000]) assert.ok(leaseRenewIntervalFor(grace) * 4 <= grace, `grace ${grace}`);
});

test('microTime has microsecond precision as metav1.MicroTime', () => {
  assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000Z');
});
