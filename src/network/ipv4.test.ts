import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { formatIPv4, parseIPv4, PodSubnet } from './ipv4.js';

test('PodSubnet: gateway is the first address, pods get the rest but the broadcast', () => {
  const s = new PodSubnet('10.42.3.7/24');
  assert.equal(s.canonical, '10.42.3.0/24');
  assert.equal(formatIPv4(s.gateway), '10.42.3.1');
  assert.equal(formatIPv4(s.first), '10.42.3.2');
  assert.equal(formatIPv4(s.last), '10.42.3.254');
  assert.equal(formatIPv4(s.broadcast), '10.42.3.255');
  assert.equal(s.capacity, 253);
  assert.equal(s.isPodAddress(parseIPv4('10.42.3.1')!), false);
  assert.equal(s.isPodAddress(parseIPv4('10.42.3.255')!), false);
  assert.equal(s.isPodAddress(parseIPv4('10.42.3.9')!), true);
});

test('PodSubnet: a /30 holds one pod; /31, /32 and malformed CIDRs are refused', () => {
  assert.equal(new PodSubnet('198.18.70.0/30').capacity, 1);
  assert.throws(() => new PodSubnet('198.18.70.0/31'), /at most \/30/);
  assert.throws(() => new PodSubnet('10.42.0.0'), /expected an IPv4 CIDR/);
  assert.throws(() => new PodSubnet('10.42.0.256/24'), /expected an IPv4 CIDR/);
});

test('parseIPv4/formatIPv4 round-trip and reject garbage', () => {
  assert.equal(formatIPv4(parseIPv4('255.0.10.1')!), '255.0.10.1');
  assert.equal(parseIPv4('1.2.3'), undefined);
  assert.equal(parseIPv4('1.2.3.x'), undefined);
});
