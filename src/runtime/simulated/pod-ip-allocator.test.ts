import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { PodIPAllocator, parseIPv4CIDR } from './pod-ip-allocator.js';

test('allocates sequentially from .2, skipping the network and gateway addresses', () => {
  const a = new PodIPAllocator('10.42.3.0/24');
  assert.equal(a.capacity, 253);
  assert.deepEqual([a.allocate(), a.allocate(), a.allocate()], ['10.42.3.2', '10.42.3.3', '10.42.3.4']);
});

test('a freed IP is reused only after the others (next-fit), and exhaustion returns undefined', () => {
  const a = new PodIPAllocator('198.18.0.0/29'); // .2 .. .6
  const got = [a.allocate(), a.allocate(), a.allocate(), a.allocate(), a.allocate()];
  assert.deepEqual(got, ['198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5', '198.18.0.6']);
  assert.equal(a.allocate(), undefined);
  a.release('198.18.0.3');
  assert.equal(a.allocated, 4);
  assert.equal(a.allocate(), '198.18.0.3');
  a.release('198.18.0.2');
  a.release('198.18.0.4');
  assert.equal(a.allocate(), '198.18.0.4', 'continues after the last handed out');
  assert.equal(a.allocate(), '198.18.0.2', 'then wraps around');
});

test('the CIDR is normalized to its network and malformed input is a TypeError naming what was expected', () => {
  assert.deepEqual(parseIPv4CIDR('10.42.3.7/24'), { network: (10 << 24) + (42 << 16) + (3 << 8), prefix: 24 });
  assert.equal(new PodIPAllocator('10.42.3.7/24').allocate(), '10.42.3.2');
  assert.throws(() => new PodIPAllocator('10.42.0.0'), /expected an IPv4 CIDR such as 10\.42\.0\.0\/24, got "10\.42\.0\.0"/);
  assert.throws(() => new PodIPAllocator('10.42.0.0/31'), /at most \/30/);
});
