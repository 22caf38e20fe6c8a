// Table-driven tests of the subnet bookkeeping: parsing, round-robin allocation, occupy/release
// of smaller and larger CIDRs, exhaustion and option validation.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { CidrSet, formatIpv4Cidr, parseIpv4Cidr } from './cidr-set.js';

describe('parseIpv4Cidr', () => {
  const cases: [string, string | undefined][] = [
    ['10.42.0.0/16', '10.42.0.0/16'],
    ['10.42.7.9/16', '10.42.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.168.1.1/32', '192.168.1.1/32'],
    ['10.42.0.0/33', undefined],
    ['10.256.0.0/16', undefined],
    ['fd00::/64', undefined],
    ['10.42.0.0', undefined],
  ];
  for (const [input, want] of cases) {
    test(input, () => {
      const c = parseIpv4Cidr(input);
      assert.equal(c && formatIpv4Cidr(c), want);
    });
  }
});

describe('CidrSet', () => {
  test('hands out /24s of a /16 in order, 256 of them, then none', () => {
    const set = new CidrSet('10.42.0.0/16', 24);
    assert.equal(set.size, 256);
    assert.equal(set.allocateNext(), '10.42.0.0/24');
    assert.equal(set.allocateNext(), '10.42.1.0/24');
    for (let i = 2; i < 256; i++) set.allocateNext();
    assert.equal(set.allocateNext(), undefined);
    assert.equal(set.usedSubnets(), 256);
  });

  test('round robin: a released subnet is handed out again only after the others', () => {
    const set = new CidrSet('10.42.0.0/22', 24);
    const a = set.allocateNext()!;
    set.allocateNext();
    set.release(a);
    assert.equal(set.allocateNext(), '10.42.2.0/24');
    assert.equal(set.allocateNext(), '10.42.3.0/24');
    assert.equal(set.allocateNext(), a, 'wraps around to the freed one');
  });

  test('occupied subnets are skipped; larger and smaller CIDRs cover the subnets they overlap', () => {
    const set = new CidrSet('10.42.0.0/16', 24);
    set.occupy('10.42.0.0/24');
    set.occupy('10.42.2.0/23'); // .2 and .3
    set.occupy('10.42.5.128/25'); // inside .5
    assert.deepEqual([set.allocateNext(), set.allocateNext(), set.allocateNext()], ['10.42.1.0/24', '10.42.4.0/24', '10.42.6.0/24']);
    assert.equal(set.isUsed('10.42.5.0/24'), true);
    set.release('10.42.2.0/23');
    assert.equal(set.isUsed('10.42.3.0/24'), false);
  });

  test('CIDRs outside the cluster CIDR are refused', () => {
    const set = new CidrSet('10.42.0.0/16', 24);
    assert.equal(set.contains('10.43.0.0/24'), false);
    assert.equal(set.contains('10.0.0.0/8'), false);
    assert.throws(() => set.occupy('10.43.0.0/24'), /outside the cluster CIDR 10.42.0.0\/16/);
  });

  const bad: [string, number, RegExp][] = [
    ['nonsense', 24, /invalid cluster CIDR "nonsense"/],
    ['10.42.0.0/16', 8, /must be between the cluster CIDR prefix \(16\) and 32/],
    ['10.42.0.0/16', 33, /must be between/],
    ['10.0.0.0/8', 30, /more than 2\^16 subnets/],
  ];
  for (const [cidr, mask, re] of bad) test(`rejects ${cidr} with /${mask}`, () => assert.throws(() => new CidrSet(cidr, mask), re));
});
