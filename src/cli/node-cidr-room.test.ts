import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { nodeCidrShortage } from './node-cidr-room.js';

test('nodeCidrShortage: silent when every node gets a subnet, the numbers and flags when not', () => {
  assert.equal(nodeCidrShortage('10.42.0.0/16', 24, 256, 'x'), undefined);
  assert.equal(nodeCidrShortage('10.42.0.0/16', 26, 1001, 'x'), undefined);
  const w = nodeCidrShortage('10.42.0.0/16', 24, 1001, '1000 simulated nodes and this machine\'s node');
  assert.equal(
    w,
    "skiff: 1000 simulated nodes and this machine's node need 1001 pod CIDRs, but --cluster-cidr 10.42.0.0/16 cut into /24s " +
      '(--node-cidr-mask-size) has 256: 745 nodes will stay NotReady (CIDRNotAvailable). Give a larger --cluster-cidr or a larger ' +
      '--node-cidr-mask-size (fewer pod IPs per node).',
  );
  // invalid flags are the IPAM controller's to report
  assert.equal(nodeCidrShortage('nonsense', 24, 5000, 'x'), undefined);
});
